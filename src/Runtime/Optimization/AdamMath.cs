using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Runtime.Optimization;

/// <summary>The per-step, per-learning-rate-scale constants of one Adam update.</summary>
internal readonly struct AdamConstants
{
    public readonly float Clip;
    public readonly float Beta1;
    public readonly float OneMinusBeta1;
    public readonly float Beta2;
    public readonly float OneMinusBeta2;
    public readonly float StepSize;
    public readonly float InverseCorrection2Sqrt;
    public readonly float Epsilon;
    public readonly float Keep;

    /// <summary>
    /// Constants for step <paramref name="step"/> (1-based) of a slice with learning-rate scale
    /// <paramref name="scale"/>. Every Adam path builds them here, so fused and unfused steps share
    /// every rounding.
    /// </summary>
    public AdamConstants(AdamOptions o, long step, float scale, float clip)
    {
        var correction1 = 1.0 - Math.Pow(o.Beta1, step);
        var correction2 = 1.0 - Math.Pow(o.Beta2, step);
        Clip = clip;
        Beta1 = o.Beta1;
        OneMinusBeta1 = 1f - o.Beta1;
        Beta2 = o.Beta2;
        OneMinusBeta2 = 1f - o.Beta2;
        StepSize = (float)(o.LearningRate * scale / correction1);
        InverseCorrection2Sqrt = (float)(1.0 / Math.Sqrt(correction2));
        Epsilon = o.Epsilon;
        Keep = 1f - o.LearningRate * scale * o.WeightDecay;
    }
}

/// <summary>
/// Adam's elementwise update, one arithmetic sequence per element whatever the vector width
/// (512-bit, 256-bit or scalar lanes give the same bits: every operation is a correctly rounded
/// IEEE operation and nothing is contracted into a fused multiply–add):
/// <code>
/// g ← g·clip;  m ← β₁m + (1 − β₁)g;  v ← β₂v + ((1 − β₂)g)g;  flush m, v below 2⁻¹²⁶ to 0
/// w ← w·keep − (step·m) / (√v·c₂ + ε)
/// </code>
/// Moments that decay below the smallest normal float are flushed to zero: a weight whose input is
/// a dead ReLU unit gets g = 0 for many steps, and its moments otherwise settle on subnormal values
/// (0.9·m rounds back to m for m of a few ulps), which this CPU computes with on a slow path (the
/// batch-1 Adam pass measured 192 µs with them, 75 µs without). The flushed values are below
/// 1.2·10⁻³⁸; they would move a weight by less than 10⁻³⁰.
/// </summary>
internal static class AdamMath
{
    /// <summary>Updates w, m, v over equal-length spans from gradient <paramref name="g"/>.</summary>
    public static void Update(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> g, in AdamConstants c)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        ref var gr = ref MemoryMarshal.GetReference(g);
        var n = (nuint)w.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var k = new Constants512(c);
            for (; i + 16 <= n; i += 16) Update512(ref wr, ref mr, ref vr, i, Vector512.LoadUnsafe(ref gr, i), k);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var k = new Constants256(c);
            for (; i + 8 <= n; i += 8) Update256(ref wr, ref mr, ref vr, i, Vector256.LoadUnsafe(ref gr, i), k);
        }
        for (; i < n; i++) UpdateScalar(ref Unsafe.Add(ref wr, i), ref Unsafe.Add(ref mr, i), ref Unsafe.Add(ref vr, i), Unsafe.Add(ref gr, i), c);
    }

    /// <summary>
    /// Updates one weight row from the gradient Σ_r coefficient_r·dy_r (r &lt; batch ≤ 4), built in
    /// registers in the order a direct GEMM accumulates it: start at +0, add dy_r·coefficient_r for
    /// each r in order, skipping zero coefficients.
    /// </summary>
    public static void UpdateOuter(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> dy, int stride,
        Vector128<float> coefficients, int batch, in AdamConstants c)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        ref var d = ref MemoryMarshal.GetReference(dy);
        var n = (nuint)w.Length;
        var s = (nuint)stride;
        var c0 = batch > 0 ? coefficients.GetElement(0) : 0f;
        var c1 = batch > 1 ? coefficients.GetElement(1) : 0f;
        var c2 = batch > 2 ? coefficients.GetElement(2) : 0f;
        var c3 = batch > 3 ? coefficients.GetElement(3) : 0f;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var k = new Constants512(c);
            var v0 = Vector512.Create(c0);
            var v1 = Vector512.Create(c1);
            var v2 = Vector512.Create(c2);
            var v3 = Vector512.Create(c3);
            for (; i + 16 <= n; i += 16)
            {
                var g = Vector512<float>.Zero;
                if (c0 != 0f) g = Vector512.LoadUnsafe(ref d, i) * v0 + g;
                if (c1 != 0f) g = Vector512.LoadUnsafe(ref d, s + i) * v1 + g;
                if (c2 != 0f) g = Vector512.LoadUnsafe(ref d, 2 * s + i) * v2 + g;
                if (c3 != 0f) g = Vector512.LoadUnsafe(ref d, 3 * s + i) * v3 + g;
                Update512(ref wr, ref mr, ref vr, i, g, k);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var k = new Constants256(c);
            var v0 = Vector256.Create(c0);
            var v1 = Vector256.Create(c1);
            var v2 = Vector256.Create(c2);
            var v3 = Vector256.Create(c3);
            for (; i + 8 <= n; i += 8)
            {
                var g = Vector256<float>.Zero;
                if (c0 != 0f) g = Vector256.LoadUnsafe(ref d, i) * v0 + g;
                if (c1 != 0f) g = Vector256.LoadUnsafe(ref d, s + i) * v1 + g;
                if (c2 != 0f) g = Vector256.LoadUnsafe(ref d, 2 * s + i) * v2 + g;
                if (c3 != 0f) g = Vector256.LoadUnsafe(ref d, 3 * s + i) * v3 + g;
                Update256(ref wr, ref mr, ref vr, i, g, k);
            }
        }
        for (; i < n; i++)
        {
            var g = 0f;
            if (c0 != 0f) g = Unsafe.Add(ref d, i) * c0 + g;
            if (c1 != 0f) g = Unsafe.Add(ref d, s + i) * c1 + g;
            if (c2 != 0f) g = Unsafe.Add(ref d, 2 * s + i) * c2 + g;
            if (c3 != 0f) g = Unsafe.Add(ref d, 3 * s + i) * c3 + g;
            UpdateScalar(ref Unsafe.Add(ref wr, i), ref Unsafe.Add(ref mr, i), ref Unsafe.Add(ref vr, i), g, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateScalar(ref float w, ref float m, ref float v, float gradient, in AdamConstants c)
    {
        var g = gradient * c.Clip;
        var mNew = c.Beta1 * m + c.OneMinusBeta1 * g;
        var vNew = c.Beta2 * v + c.OneMinusBeta2 * g * g;
        if (MathF.Abs(mNew) < MinNormal) mNew = 0f;
        if (vNew < MinNormal) vNew = 0f;
        m = mNew;
        v = vNew;
        w = w * c.Keep - c.StepSize * mNew / (MathF.Sqrt(vNew) * c.InverseCorrection2Sqrt + c.Epsilon);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update512(ref float wr, ref float mr, ref float vr, nuint i, Vector512<float> gradient, in Constants512 k)
    {
        var g = gradient * k.Clip;
        var m = k.Beta1 * Vector512.LoadUnsafe(ref mr, i) + k.OneMinusBeta1 * g;
        var v = k.Beta2 * Vector512.LoadUnsafe(ref vr, i) + k.OneMinusBeta2 * g * g;
        m = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(m), k.MinNormal), Vector512<float>.Zero, m);
        v = Vector512.ConditionalSelect(Vector512.LessThan(v, k.MinNormal), Vector512<float>.Zero, v);
        var w = Vector512.LoadUnsafe(ref wr, i) * k.Keep - k.StepSize * m / (Vector512.Sqrt(v) * k.Correction + k.Epsilon);
        m.StoreUnsafe(ref mr, i);
        v.StoreUnsafe(ref vr, i);
        w.StoreUnsafe(ref wr, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update256(ref float wr, ref float mr, ref float vr, nuint i, Vector256<float> gradient, in Constants256 k)
    {
        var g = gradient * k.Clip;
        var m = k.Beta1 * Vector256.LoadUnsafe(ref mr, i) + k.OneMinusBeta1 * g;
        var v = k.Beta2 * Vector256.LoadUnsafe(ref vr, i) + k.OneMinusBeta2 * g * g;
        m = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(m), k.MinNormal), Vector256<float>.Zero, m);
        v = Vector256.ConditionalSelect(Vector256.LessThan(v, k.MinNormal), Vector256<float>.Zero, v);
        var w = Vector256.LoadUnsafe(ref wr, i) * k.Keep - k.StepSize * m / (Vector256.Sqrt(v) * k.Correction + k.Epsilon);
        m.StoreUnsafe(ref mr, i);
        v.StoreUnsafe(ref vr, i);
        w.StoreUnsafe(ref wr, i);
    }

    /// <summary>Smallest normal float, 2⁻¹²⁶.</summary>
    private const float MinNormal = 1.17549435e-38f;

    private readonly struct Constants512(in AdamConstants c)
    {
        public readonly Vector512<float> Clip = Vector512.Create(c.Clip);
        public readonly Vector512<float> Beta1 = Vector512.Create(c.Beta1);
        public readonly Vector512<float> OneMinusBeta1 = Vector512.Create(c.OneMinusBeta1);
        public readonly Vector512<float> Beta2 = Vector512.Create(c.Beta2);
        public readonly Vector512<float> OneMinusBeta2 = Vector512.Create(c.OneMinusBeta2);
        public readonly Vector512<float> StepSize = Vector512.Create(c.StepSize);
        public readonly Vector512<float> Correction = Vector512.Create(c.InverseCorrection2Sqrt);
        public readonly Vector512<float> Epsilon = Vector512.Create(c.Epsilon);
        public readonly Vector512<float> Keep = Vector512.Create(c.Keep);
        public readonly Vector512<float> MinNormal = Vector512.Create(AdamMath.MinNormal);
    }

    private readonly struct Constants256(in AdamConstants c)
    {
        public readonly Vector256<float> Clip = Vector256.Create(c.Clip);
        public readonly Vector256<float> Beta1 = Vector256.Create(c.Beta1);
        public readonly Vector256<float> OneMinusBeta1 = Vector256.Create(c.OneMinusBeta1);
        public readonly Vector256<float> Beta2 = Vector256.Create(c.Beta2);
        public readonly Vector256<float> OneMinusBeta2 = Vector256.Create(c.OneMinusBeta2);
        public readonly Vector256<float> StepSize = Vector256.Create(c.StepSize);
        public readonly Vector256<float> Correction = Vector256.Create(c.InverseCorrection2Sqrt);
        public readonly Vector256<float> Epsilon = Vector256.Create(c.Epsilon);
        public readonly Vector256<float> Keep = Vector256.Create(c.Keep);
        public readonly Vector256<float> MinNormal = Vector256.Create(AdamMath.MinNormal);
    }
}
