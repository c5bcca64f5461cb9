namespace Mtrl.Contracts;

/// <summary>How the task gradients of shared parameters are combined into one update.</summary>
public enum TaskGradientMethod
{
    /// <summary>One loss over the whole batch, one backward pass.</summary>
    None,

    /// <summary>Projecting conflicting gradients (Yu et al. 2020), with the paper's shuffled orders.</summary>
    PcGrad,

    /// <summary>Conflict-averse gradient descent (Liu et al. 2021).</summary>
    CaGrad,

    /// <summary>Task loss weights learned to balance gradient norms on the last shared layer (Chen et al. 2018).</summary>
    GradNorm,
}
