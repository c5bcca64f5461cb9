using System;
using Mtrl.Kernels.Gpu.Optimization;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// The device DQN update's settings, with the CPU <c>DqnOptions</c>' defaults: γ = 0.99, double
/// DQN, Huber loss, Adam at learning rate 10⁻⁴ with the gradient clipped to norm 10.
/// </summary>
public sealed record DeviceDqnOptions
{
    /// <summary>Discount γ, in [0, 1].</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>Double DQN: the online network picks the next action, the target network values it.</summary>
    public bool Double { get; init; } = true;

    /// <summary>The TD loss.</summary>
    public DeviceTdLossKind Loss { get; init; } = DeviceTdLossKind.Huber;

    /// <summary>The optimizer (DqnTrainer's: learning rate and the clip of <c>DqnOptions.GradientClip</c>).</summary>
    public DeviceAdamOptions Adam { get; init; } = new(LearningRate: 1e-4f, MaxGradientNorm: 10f);

    /// <summary>Throws if a value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if (!(Gamma >= 0f && Gamma <= 1f)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "must be in [0, 1]");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "must be Huber or SquaredError");
        ArgumentNullException.ThrowIfNull(Adam);
        Adam.Validate();
    }
}
