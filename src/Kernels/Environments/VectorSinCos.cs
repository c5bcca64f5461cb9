using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Sine and cosine of eight floats at once, for physics kernels. .NET's
/// <c>Vector256.SinCos(Vector256&lt;float&gt;)</c> falls back to scalar code (about 8 ns per
/// element here), which would dominate a CartPole step; this is the Cephes single-precision
/// algorithm (Moshier): reduction by π/4 with an extended-precision three-part constant, then
/// degree-7/8 polynomials on [−π/4, π/4] with the octant choosing polynomial and sign.
/// </summary>
/// <remarks>
/// Absolute error below 2e-7 for |x| ≤ 100 and below 1e-6 up to |x| = 8192, where the
/// three-part reduction stops being exact enough (CartPole's angle stays below 0.25). Every lane
/// goes through the same operations, so results are independent of which lane or chunk an
/// environment lands in.
/// </remarks>
internal static class VectorSinCos
{
    private const float FourOverPi = 1.27323954473516f;
    private const float ReductionPart1 = 0.78515625f;
    private const float ReductionPart2 = 2.4187564849853515625e-4f;
    private const float ReductionPart3 = 3.77489497744594108e-8f;

    /// <summary>Computes sin x and cos x lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Compute(Vector256<float> x, out Vector256<float> sin, out Vector256<float> cos)
    {
        Vector256<float> signMask = Vector256.Create(-0f);
        Vector256<float> sinSign = x & signMask;
        Vector256<float> ax = Vector256.AndNot(x, signMask);

        // Octant j rounded up to even, so the reduced argument lies in [−π/4, π/4].
        Vector256<int> j = Vector256.ConvertToInt32(ax * Vector256.Create(FourOverPi));
        j = (j + Vector256<int>.One) & Vector256.Create(~1);
        Vector256<float> y = Vector256.ConvertToSingle(j);
        Vector256<float> r = ax - y * Vector256.Create(ReductionPart1);
        r -= y * Vector256.Create(ReductionPart2);
        r -= y * Vector256.Create(ReductionPart3);

        // sin flips sign in octants 4..7; cos in octants 2..5; octants 2, 3, 6, 7 swap the polynomials.
        Vector256<float> sinFlip = Vector256.ShiftLeft(j & Vector256.Create(4), 29).AsSingle();
        Vector256<float> cosFlip = Vector256.ShiftLeft(Vector256.AndNot(Vector256.Create(4), j - Vector256.Create(2)), 29).AsSingle();
        Vector256<float> swap = Vector256.Equals(j & Vector256.Create(2), Vector256.Create(2)).AsSingle();

        Vector256<float> z = r * r;
        Vector256<float> cosPoly = Vector256.Create(2.443315711809948e-5f);
        cosPoly = cosPoly * z + Vector256.Create(-1.388731625493765e-3f);
        cosPoly = cosPoly * z + Vector256.Create(4.166664568298827e-2f);
        cosPoly = cosPoly * z * z - z * Vector256.Create(0.5f) + Vector256<float>.One;

        Vector256<float> sinPoly = Vector256.Create(-1.9515295891e-4f);
        sinPoly = sinPoly * z + Vector256.Create(8.3321608736e-3f);
        sinPoly = sinPoly * z + Vector256.Create(-1.6666654611e-1f);
        sinPoly = sinPoly * z * r + r;

        sin = Vector256.ConditionalSelect(swap, cosPoly, sinPoly) ^ sinSign ^ sinFlip;
        cos = Vector256.ConditionalSelect(swap, sinPoly, cosPoly) ^ cosFlip;
    }
}
