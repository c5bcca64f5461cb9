using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>
/// Bulk random fills over spans: parameter initialisation, noise, dropout masks, replay sampling.
/// Value e of a fill comes from Philox block (counter + e / valuesPerCounter) of (seed, stream),
/// so the output depends only on (seed, stream, counter) — never on the accelerator, its thread
/// count or its chunking — and a fill of n values advances the counter by
/// <see cref="CountersForFloats"/>(n) (or <see cref="CountersForIndices"/>).
/// </summary>
/// <remarks>
/// Uniform values and indices are bit-identical on every machine. Normal values use vectorised
/// log/sin/cos and agree across thread counts and chunkings bit for bit, but may differ in the
/// last bits between CPUs with and without AVX2/FMA.
/// </remarks>
public static class PhiloxFill
{
    /// <summary>Floats produced per counter value: one Philox block holds four 32-bit words.</summary>
    public const int FloatsPerCounter = 4;

    /// <summary>Indices produced per counter value: each index uses 64 bits for negligible bias.</summary>
    public const int IndicesPerCounter = 2;

    // Groups (of 32 values) per chunk below which a launch is not worth splitting.
    private const int GroupGrain = 64;

    /// <summary>Counter values consumed by a float fill of <paramref name="length"/> values, so callers can advance their counter.</summary>
    /// <param name="length">Number of floats filled.</param>
    public static ulong CountersForFloats(int length) => ((ulong)length + FloatsPerCounter - 1) / FloatsPerCounter;

    /// <summary>Counter values consumed by an index fill of <paramref name="length"/> values.</summary>
    /// <param name="length">Number of indices filled.</param>
    public static ulong CountersForIndices(int length) => ((ulong)length + IndicesPerCounter - 1) / IndicesPerCounter;

    /// <summary>Fills <paramref name="destination"/> with uniform floats in [0, 1) (see <see cref="RandomBits.ToUniform"/>).</summary>
    /// <param name="destination">Span to overwrite.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Independent stream under the seed.</param>
    /// <param name="counter">Counter of the first block used.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Uniform(Span<float> destination, ulong seed, ulong stream, ulong counter, Accelerator? accelerator = null)
    {
        var kernel = new FloatFillKernel(destination, seed, stream, counter, normal: false, mean: 0f, standardDeviation: 1f);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(GroupCount(destination.Length), GroupGrain, in kernel);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with normal values mean + sd·z, z standard normal by
    /// Box–Muller (words 0,1 of a block give values 0,1; words 2,3 give values 2,3).
    /// </summary>
    /// <param name="destination">Span to overwrite.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Independent stream under the seed.</param>
    /// <param name="counter">Counter of the first block used.</param>
    /// <param name="mean">Mean of the distribution.</param>
    /// <param name="standardDeviation">Standard deviation of the distribution.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Normal(
        Span<float> destination, ulong seed, ulong stream, ulong counter,
        float mean = 0f, float standardDeviation = 1f, Accelerator? accelerator = null)
    {
        var kernel = new FloatFillKernel(destination, seed, stream, counter, normal: true, mean, standardDeviation);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(GroupCount(destination.Length), GroupGrain, in kernel);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with integers uniform in [0, <paramref name="n"/>)
    /// (see <see cref="RandomBits.ToIndex(uint, uint, int)"/>), e.g. replay-buffer sample positions.
    /// </summary>
    /// <param name="destination">Span to overwrite.</param>
    /// <param name="n">Exclusive upper bound; must be positive.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Independent stream under the seed.</param>
    /// <param name="counter">Counter of the first block used.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Index(Span<int> destination, int n, ulong seed, ulong stream, ulong counter, Accelerator? accelerator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var kernel = new IndexFillKernel(destination, n, seed, stream, counter);
        int groups = (destination.Length + IndexFillKernel.ValuesPerGroup - 1) / IndexFillKernel.ValuesPerGroup;
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(groups, GroupGrain, in kernel);
    }

    private static int GroupCount(int length) => (length + PhiloxGroup.Words - 1) / PhiloxGroup.Words;

    /// <summary>Uniform or normal floats, one Philox group (32 values) per index.</summary>
    private readonly ref struct FloatFillKernel : IRangeKernel
    {
        private readonly Span<float> _destination;
        private readonly ulong _seed;
        private readonly ulong _stream;
        private readonly ulong _counter;
        private readonly bool _normal;
        private readonly float _mean;
        private readonly float _standardDeviation;

        public FloatFillKernel(Span<float> destination, ulong seed, ulong stream, ulong counter, bool normal, float mean, float standardDeviation)
        {
            _destination = destination;
            _seed = seed;
            _stream = stream;
            _counter = counter;
            _normal = normal;
            _mean = mean;
            _standardDeviation = standardDeviation;
        }

        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            Span<float> partial = stackalloc float[PhiloxGroup.Words];
            ref float first = ref MemoryMarshal.GetReference(_destination);
            for (int g = start; g < end; g++)
            {
                int offset = g * PhiloxGroup.Words;
                int count = Math.Min(PhiloxGroup.Words, _destination.Length - offset);
                ref float target = ref count == PhiloxGroup.Words ? ref Unsafe.Add(ref first, offset) : ref MemoryMarshal.GetReference(partial);
                ulong counter = _counter + (ulong)g * PhiloxGroup.Blocks;
                PhiloxGroup.Generate(_seed, _stream, counter, out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3);
                if (_normal)
                {
                    PhiloxGroup.ToNormalPairs(x0, x1, out Vector256<float> z0, out Vector256<float> z1);
                    PhiloxGroup.ToNormalPairs(x2, x3, out Vector256<float> z2, out Vector256<float> z3);
                    Vector256<float> mean = Vector256.Create(_mean);
                    Vector256<float> sd = Vector256.Create(_standardDeviation);
                    PhiloxGroup.StoreInterleaved(z0 * sd + mean, z1 * sd + mean, z2 * sd + mean, z3 * sd + mean, ref target);
                }
                else
                {
                    PhiloxGroup.StoreInterleaved(
                        PhiloxGroup.ToUniform(x0), PhiloxGroup.ToUniform(x1), PhiloxGroup.ToUniform(x2), PhiloxGroup.ToUniform(x3), ref target);
                }

                if (count < PhiloxGroup.Words)
                {
                    partial[..count].CopyTo(_destination[offset..]);
                }
            }
        }
    }

    /// <summary>Indices in [0, n), one Philox group (16 indices) per launch index.</summary>
    private readonly ref struct IndexFillKernel : IRangeKernel
    {
        public const int ValuesPerGroup = PhiloxGroup.Blocks * IndicesPerCounter;

        private readonly Span<int> _destination;
        private readonly int _n;
        private readonly ulong _seed;
        private readonly ulong _stream;
        private readonly ulong _counter;

        public IndexFillKernel(Span<int> destination, int n, ulong seed, ulong stream, ulong counter)
        {
            _destination = destination;
            _n = n;
            _seed = seed;
            _stream = stream;
            _counter = counter;
        }

        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            Span<uint> words = stackalloc uint[PhiloxGroup.Words];
            ref float wordsAsFloat = ref Unsafe.As<uint, float>(ref MemoryMarshal.GetReference(words));
            for (int g = start; g < end; g++)
            {
                ulong counter = _counter + (ulong)g * PhiloxGroup.Blocks;
                PhiloxGroup.Generate(_seed, _stream, counter, out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3);
                PhiloxGroup.StoreInterleaved(x0.AsSingle(), x1.AsSingle(), x2.AsSingle(), x3.AsSingle(), ref wordsAsFloat);
                int offset = g * ValuesPerGroup;
                int count = Math.Min(ValuesPerGroup, _destination.Length - offset);
                Span<int> target = _destination.Slice(offset, count);
                for (int v = 0; v < target.Length; v++)
                {
                    target[v] = RandomBits.ToIndex(words[2 * v], words[2 * v + 1], _n);
                }
            }
        }
    }
}
