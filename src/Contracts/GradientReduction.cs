namespace Mtrl.Contracts;

/// <summary>
/// How projected task gradients are reduced to one update. The references disagree (the paper
/// sums, Pytorch-PCGrad and mtrl average), and the choice fixes the effective learning rate, so
/// callers state it.
/// </summary>
public enum GradientReduction
{
    /// <summary>Σ over tasks: the gradient of the summed task losses when nothing conflicts.</summary>
    Sum = 0,

    /// <summary>Σ over tasks ÷ T: the gradient of the mean task loss when nothing conflicts.</summary>
    Mean = 1,
}
