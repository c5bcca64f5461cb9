using System;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Optimization;

/// <summary>
/// SGD with (PyTorch-style) momentum: v = μ·v + g, p −= lr·v. Frozen slices are untouched;
/// non-finite gradients skip the step.
/// </summary>
public sealed class Sgd
{
    private readonly ParameterStore _store;
    private readonly RunCache _runs;

    /// <summary>Creates the optimizer; <paramref name="momentum"/> in [0, 1).</summary>
    public Sgd(ParameterStore store, float learningRate, float momentum = 0f)
    {
        if (!(learningRate > 0f) || float.IsInfinity(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be finite and greater than 0");
        if (!(momentum >= 0f && momentum < 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1)");
        _store = store;
        _runs = new RunCache(store);
        LearningRate = learningRate;
        Momentum = momentum;
        Velocity = GC.AllocateArray<float>(store.Layout.Length, pinned: true);
    }

    /// <summary>Learning rate.</summary>
    public float LearningRate { get; set; }

    /// <summary>Momentum μ.</summary>
    public float Momentum { get; }

    /// <summary>Velocity buffer, same layout as the parameters (saved in checkpoints).</summary>
    public float[] Velocity { get; }

    /// <summary>Steps applied.</summary>
    public long Steps { get; internal set; }

    /// <summary>Steps skipped for non-finite gradients.</summary>
    public long SkippedSteps { get; internal set; }

    /// <summary>Applies one update; false if skipped.</summary>
    public bool Step()
    {
        if (!double.IsFinite(_runs.GradientNorm()))
        {
            SkippedSteps++;
            return false;
        }
        foreach (var run in _runs.Runs)
        {
            var values = _store.Values.AsSpan(run.Offset, run.Length);
            var gradients = _store.Gradients.AsSpan(run.Offset, run.Length);
            var velocity = Velocity.AsSpan(run.Offset, run.Length);
            var rate = LearningRate * run.LearningRateScale;
            for (var i = 0; i < values.Length; i++)
            {
                var v = Momentum * velocity[i] + gradients[i];
                velocity[i] = v;
                values[i] -= rate * v;
            }
        }
        Steps++;
        return true;
    }
}
