using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Optimization;

/// <summary>Adam's hyperparameters. Weight decay is decoupled (AdamW); clipping is by global norm, 0 = off.</summary>
public sealed record AdamOptions(
    float LearningRate = 3e-4f,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f,
    float WeightDecay = 0f,
    float MaxGradientNorm = 0f)
{
    /// <summary>Throws if any value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be finite and greater than 0");
        if (!(Beta1 >= 0f && Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 >= 0f && Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "must be greater than 0");
        if (!(WeightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be at least 0");
        if (!(MaxGradientNorm >= 0f)) throw new ArgumentOutOfRangeException(nameof(MaxGradientNorm), MaxGradientNorm, "must be at least 0 (0 turns clipping off)");
    }
}

/// <summary>
/// Adam in one fused pass over the flat buffers: moments, bias correction, decoupled weight decay
/// and global-norm clipping. Frozen slices are never touched. A step whose gradient norm is not
/// finite is skipped and counted, never applied.
/// </summary>
public sealed class Adam
{
    private readonly ParameterStore _store;
    private readonly Accelerator _accelerator;
    private readonly RunCache _runs;
    private readonly AdamFusedStep _fused;
    private readonly bool _ownsAll;

    /// <summary>Creates the optimizer with zeroed moments.</summary>
    /// <param name="store">The parameters.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Where the update runs; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="slices">
    /// The slices this optimizer owns, or null for all: an actor's and a critic's optimizer share
    /// one store but each updates (and clips, and measures the norm of) only its own slices, as
    /// PyTorch parameter groups do.
    /// </param>
    public Adam(ParameterStore store, AdamOptions options, Accelerator? accelerator = null, IEnumerable<ParameterSlice>? slices = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options.Validate();
        _store = store;
        _runs = new RunCache(store, slices);
        _ownsAll = slices is null;
        _fused = new AdamFusedStep(this, store);
        Options = options;
        _accelerator = accelerator ?? CpuAccelerator.Default;
        FirstMoment = GC.AllocateArray<float>(store.Layout.Length, pinned: true);
        SecondMoment = GC.AllocateArray<float>(store.Layout.Length, pinned: true);
    }

    /// <summary>The store this optimizer updates.</summary>
    public ParameterStore Store => _store;

    /// <summary>Hyperparameters; the learning rate may be changed between steps via <see cref="LearningRate"/>.</summary>
    public AdamOptions Options { get; private set; }

    /// <summary>Current learning rate (schedules set it).</summary>
    public float LearningRate
    {
        get => Options.LearningRate;
        set
        {
            var updated = Options with { LearningRate = value };
            updated.Validate();
            Options = updated;
        }
    }

    /// <summary>First moments, same layout as the parameters (saved in checkpoints).</summary>
    public float[] FirstMoment { get; }

    /// <summary>Second moments, same layout as the parameters.</summary>
    public float[] SecondMoment { get; }

    /// <summary>Steps applied so far (the bias-correction exponent).</summary>
    public long Steps { get; internal set; }

    /// <summary>Steps skipped because the gradient held NaN or ∞.</summary>
    public long SkippedSteps { get; internal set; }

    /// <summary>Norm of the last gradient seen (before clipping).</summary>
    public double LastGradientNorm { get; private set; }

    /// <summary>Zeroes both moments of <paramref name="slices"/>: a re-initialised slice then starts as a fresh parameter would (the step count, shared by all slices, is kept).</summary>
    public void ResetMoments(IEnumerable<ParameterSlice> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        foreach (var slice in slices)
        {
            Array.Clear(FirstMoment, slice.Offset, slice.Length);
            Array.Clear(SecondMoment, slice.Offset, slice.Length);
        }
    }

    /// <summary>Forgets everything learned about the gradients: zero moments and step counts, as newly made (fine-tuning starts so).</summary>
    public void Reset()
    {
        Array.Clear(FirstMoment);
        Array.Clear(SecondMoment);
        Steps = 0;
        SkippedSteps = 0;
        LastGradientNorm = 0;
    }

    /// <summary>Applies one update from the store's gradients; false if skipped for a non-finite gradient.</summary>
    public bool Step()
    {
        var norm = _runs.GradientNorm();
        LastGradientNorm = norm;
        if (!double.IsFinite(norm))
        {
            SkippedSteps++;
            return false;
        }
        var o = Options;
        var clip = o.MaxGradientNorm > 0f && norm > o.MaxGradientNorm ? (float)(o.MaxGradientNorm / (norm + 1e-6)) : 1f;
        Steps++;
        foreach (var run in _runs.Runs)
        {
            var kernel = new AdamKernel(
                _store.Values.AsSpan(run.Offset, run.Length), _store.Gradients.AsSpan(run.Offset, run.Length),
                FirstMoment.AsSpan(run.Offset, run.Length), SecondMoment.AsSpan(run.Offset, run.Length),
                new AdamConstants(o, Steps, run.LearningRateScale, clip));
            // Elementwise with one arithmetic sequence per element (AdamMath), so the chunking
            // never changes results, whatever the thread count.
            _accelerator.LaunchChunked(run.Length / AdamKernel.Group, 2048, in kernel);
        }
        return true;
    }

    /// <summary>
    /// Starts a fused step, in which layers update their own slices during backward
    /// (<see cref="Layers.Linear.BackwardAndUpdate"/>) instead of writing gradients for
    /// <see cref="Step"/> to read: the step counter advances now, once, so every slice of this step
    /// uses the same bias correction as <see cref="Step"/> would; <see cref="EndFusedStep"/> then
    /// checks that every trainable slice was updated exactly once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Global-norm clipping is on: the norm needs the
    /// whole gradient before any update, so it cannot be fused (use <see cref="Step"/>).</exception>
    /// <remarks>A fused step cannot skip on a non-finite gradient as <see cref="Step"/> does, because
    /// parts of the update are applied before the rest of the gradient exists; callers check what they
    /// can first (<see cref="Networks.Sequential.BackwardAndStep"/> checks the input, every activation
    /// and the loss gradient) and report a skip through <see cref="SkipFusedStep"/>.</remarks>
    public AdamFusedStep BeginFusedStep()
    {
        if (!_ownsAll)
        {
            throw new InvalidOperationException("a fused Adam step updates the whole store; an optimizer over some of its slices uses Backward + Step() instead");
        }
        if (Options.MaxGradientNorm > 0f)
        {
            throw new InvalidOperationException(
                "a fused Adam step cannot clip by global gradient norm: the norm needs the whole gradient before any parameter is updated; use Backward + Step() instead");
        }
        Steps++;
        LastGradientNorm = double.NaN;
        _fused.Begin(Steps);
        return _fused;
    }

    /// <summary>Ends the fused step begun by <see cref="BeginFusedStep"/>.</summary>
    /// <exception cref="InvalidOperationException">Some trainable slice was not updated in this step
    /// (it would silently miss a step whose bias correction the others used), or no step is open.</exception>
    public void EndFusedStep() => _fused.End();

    /// <summary>Counts a step that a fused schedule skipped before updating anything (non-finite input or loss gradient).</summary>
    public void SkipFusedStep()
    {
        LastGradientNorm = double.NaN;
        SkippedSteps++;
    }

    /// <summary>
    /// The fused update over groups [start, end) of 8 elements of one run. Elementwise with one
    /// arithmetic sequence per element (<see cref="AdamMath"/>), so chunking never changes results.
    /// The pass is memory-bound: seven float streams per element.
    /// </summary>
    private readonly ref struct AdamKernel : IRangeKernel
    {
        public const int Group = 8;

        private readonly Span<float> _values;
        private readonly ReadOnlySpan<float> _gradients;
        private readonly Span<float> _m;
        private readonly Span<float> _v;
        private readonly AdamConstants _constants;

        public AdamKernel(Span<float> values, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, AdamConstants constants)
        {
            _values = values;
            _gradients = gradients;
            _m = m;
            _v = v;
            _constants = constants;
        }

        public void Execute(int start, int end)
        {
            var from = start * Group;
            var length = (end - start) * Group;
            AdamMath.Update(_values.Slice(from, length), _m.Slice(from, length), _v.Slice(from, length), _gradients.Slice(from, length), _constants);
        }
    }
}
