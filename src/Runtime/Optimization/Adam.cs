using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    /// <summary>Creates the optimizer with zeroed moments.</summary>
    public Adam(ParameterStore store, AdamOptions options, Accelerator? accelerator = null)
    {
        options.Validate();
        _store = store;
        _runs = new RunCache(store);
        Options = options;
        _accelerator = accelerator ?? CpuAccelerator.Default;
        FirstMoment = GC.AllocateArray<float>(store.Layout.Length, pinned: true);
        SecondMoment = GC.AllocateArray<float>(store.Layout.Length, pinned: true);
    }

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
        var correction1 = 1.0 - Math.Pow(o.Beta1, Steps);
        var correction2 = 1.0 - Math.Pow(o.Beta2, Steps);
        foreach (var run in _runs.Runs)
        {
            var kernel = new AdamKernel(
                _store.Values.AsSpan(run.Offset, run.Length), _store.Gradients.AsSpan(run.Offset, run.Length),
                FirstMoment.AsSpan(run.Offset, run.Length), SecondMoment.AsSpan(run.Offset, run.Length),
                clip, o.Beta1, o.Beta2, (float)(o.LearningRate * run.LearningRateScale / correction1),
                (float)(1.0 / Math.Sqrt(correction2)), o.Epsilon, o.LearningRate * run.LearningRateScale * o.WeightDecay);
            // Runs are whole 8-float groups (slices are 8-aligned), and chunks are whole groups, so
            // every element takes the same arithmetic path whatever the thread count.
            _accelerator.LaunchChunked(run.Length / AdamKernel.Group, 2048, in kernel);
        }
        return true;
    }

    /// <summary>
    /// The fused update over groups [start, end) of 8 elements of one run. Elementwise with one
    /// arithmetic path per machine (vector with AVX, scalar without), so chunking never changes
    /// results. The pass is memory-bound: seven float streams per element.
    /// </summary>
    private readonly ref struct AdamKernel : IRangeKernel
    {
        public const int Group = 8;

        private readonly Span<float> _values;
        private readonly ReadOnlySpan<float> _gradients;
        private readonly Span<float> _m;
        private readonly Span<float> _v;
        private readonly float _clip, _beta1, _beta2, _stepSize, _inverseCorrection2Sqrt, _epsilon, _decay;

        public AdamKernel(Span<float> values, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v,
            float clip, float beta1, float beta2, float stepSize, float inverseCorrection2Sqrt, float epsilon, float decay)
        {
            _values = values;
            _gradients = gradients;
            _m = m;
            _v = v;
            _clip = clip;
            _beta1 = beta1;
            _beta2 = beta2;
            _stepSize = stepSize;
            _inverseCorrection2Sqrt = inverseCorrection2Sqrt;
            _epsilon = epsilon;
            _decay = decay;
        }

        public void Execute(int start, int end)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                ExecuteVector(start * Group, end * Group);
                return;
            }
            for (var i = start * Group; i < end * Group; i++)
            {
                var g = _gradients[i] * _clip;
                var m = _beta1 * _m[i] + (1f - _beta1) * g;
                var v = _beta2 * _v[i] + (1f - _beta2) * g * g;
                _m[i] = m;
                _v[i] = v;
                _values[i] = _values[i] * (1f - _decay) - _stepSize * m / (MathF.Sqrt(v) * _inverseCorrection2Sqrt + _epsilon);
            }
        }

        private void ExecuteVector(int start, int end)
        {
            var clip = Vector256.Create(_clip);
            var beta1 = Vector256.Create(_beta1);
            var oneMinusBeta1 = Vector256.Create(1f - _beta1);
            var beta2 = Vector256.Create(_beta2);
            var oneMinusBeta2 = Vector256.Create(1f - _beta2);
            var stepSize = Vector256.Create(_stepSize);
            var correction = Vector256.Create(_inverseCorrection2Sqrt);
            var epsilon = Vector256.Create(_epsilon);
            var keep = Vector256.Create(1f - _decay);
            ref var values = ref MemoryMarshal.GetReference(_values);
            ref var gradients = ref MemoryMarshal.GetReference(_gradients);
            ref var firstMoment = ref MemoryMarshal.GetReference(_m);
            ref var secondMoment = ref MemoryMarshal.GetReference(_v);
            for (var i = (nuint)start; i < (nuint)end; i += Group)
            {
                var g = Vector256.LoadUnsafe(ref gradients, i) * clip;
                var m = beta1 * Vector256.LoadUnsafe(ref firstMoment, i) + oneMinusBeta1 * g;
                var v = beta2 * Vector256.LoadUnsafe(ref secondMoment, i) + oneMinusBeta2 * g * g;
                var p = Vector256.LoadUnsafe(ref values, i) * keep - stepSize * m / (Vector256.Sqrt(v) * correction + epsilon);
                m.StoreUnsafe(ref firstMoment, i);
                v.StoreUnsafe(ref secondMoment, i);
                p.StoreUnsafe(ref values, i);
            }
        }
    }
}
