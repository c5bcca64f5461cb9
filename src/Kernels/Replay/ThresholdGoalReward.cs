using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// The sparse goal reward most goal environments use: 0 when the achieved goal lies within
/// <see cref="Threshold"/> (Euclidean distance) of the desired goal, −1 otherwise. Threshold 0 is
/// BitFlip's exact match; 0.05 is the Fetch tasks' tolerance. Optionally success terminates.
/// </summary>
/// <remarks>
/// On bit-packed goals (<see cref="ComputePacked"/>) the distance of two 0/1 rows is the square
/// root of the number of differing bits, so threshold 0 is a comparison of the packed bytes, and
/// every threshold gives exactly the result of <see cref="Compute"/> on the decoded floats.
/// </remarks>
public readonly struct ThresholdGoalReward : IBitGoalReward
{
    /// <summary>Creates the reward.</summary>
    /// <param name="threshold">Largest distance that still counts as success; finite and at least 0.</param>
    /// <param name="terminateOnSuccess">Whether success ends the episode (true for BitFlip).</param>
    public ThresholdGoalReward(float threshold, bool terminateOnSuccess)
    {
        if (!(threshold >= 0f) || float.IsInfinity(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a finite number ≥ 0");
        }

        Threshold = threshold;
        DefinesTermination = terminateOnSuccess;
    }

    /// <summary>Largest Euclidean distance counted as reaching the goal.</summary>
    public float Threshold { get; }

    /// <inheritdoc />
    public bool DefinesTermination { get; }

    /// <inheritdoc />
    public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(goalWidth, 1);
        int rows = rewards.Length;
        if (achievedGoals.Length < rows * goalWidth || desiredGoals.Length < rows * goalWidth)
        {
            throw new ArgumentException($"goal spans must hold {rows} rows of {goalWidth} floats", nameof(achievedGoals));
        }

        if (DefinesTermination && terminated.Length < rows)
        {
            throw new ArgumentException($"terminated must hold {rows} flags", nameof(terminated));
        }

        for (int i = 0; i < rows; i++)
        {
            // Euclidean distance as numpy.linalg.norm computes it (SIMD in TensorPrimitives).
            float distance = TensorPrimitives.Distance(achievedGoals.Slice(i * goalWidth, goalWidth), desiredGoals.Slice(i * goalWidth, goalWidth));
            bool success = distance <= Threshold;
            rewards[i] = success ? 0f : -1f;
            if (DefinesTermination)
            {
                terminated[i] = success ? 1f : 0f;
            }
        }
    }

    /// <inheritdoc />
    public void ComputePacked(ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(goalWidth, 1);
        int rows = rewards.Length;
        int rowBytes = (goalWidth + 7) >> 3;
        if (achievedGoals.Length < rows * rowBytes || desiredGoals.Length < rows * rowBytes)
        {
            throw new ArgumentException($"packed goal spans must hold {rows} rows of {rowBytes} bytes", nameof(achievedGoals));
        }

        if (DefinesTermination && terminated.Length < rows)
        {
            throw new ArgumentException($"terminated must hold {rows} flags", nameof(terminated));
        }

        int i = 0;
        if (rowBytes <= sizeof(ulong))
        {
            // Rows of at most 8 bytes: one masked 8-byte load per row, for every row whose load stays
            // inside both spans (the bytes past the row belong to the following rows).
            ulong mask = rowBytes == sizeof(ulong) ? ulong.MaxValue : (1UL << (8 * rowBytes)) - 1;
            ref byte x = ref MemoryMarshal.GetReference(achievedGoals);
            ref byte y = ref MemoryMarshal.GetReference(desiredGoals);
            float threshold = Threshold;
            bool terminates = DefinesTermination;
            ref float reward = ref MemoryMarshal.GetReference(rewards);
            ref float done = ref MemoryMarshal.GetReference(terminated);
            int span = Math.Min(achievedGoals.Length, desiredGoals.Length);
            int loads = span < sizeof(ulong) ? 0 : ((span - sizeof(ulong)) / rowBytes) + 1;
            for (; i < Math.Min(rows, loads); i++)
            {
                nint at = (nint)i * rowBytes;
                ulong difference = (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, at)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref y, at))) & mask;
                bool success = difference == 0 || MathF.Sqrt(BitOperations.PopCount(difference)) <= threshold;
                Unsafe.Add(ref reward, i) = success ? 0f : -1f;
                if (terminates)
                {
                    Unsafe.Add(ref done, i) = success ? 1f : 0f;
                }
            }
        }

        for (; i < rows; i++)
        {
            int differing = DifferingBits(achievedGoals.Slice(i * rowBytes, rowBytes), desiredGoals.Slice(i * rowBytes, rowBytes));

            // The float path's distance: √(number of differing elements), each contributing 1² exactly.
            bool success = differing == 0 || MathF.Sqrt(differing) <= Threshold;
            rewards[i] = success ? 0f : -1f;
            if (DefinesTermination)
            {
                terminated[i] = success ? 1f : 0f;
            }
        }
    }

    /// <summary>Number of bits in which two packed rows of equal length differ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DifferingBits(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        ref byte x = ref MemoryMarshal.GetReference(a);
        ref byte y = ref MemoryMarshal.GetReference(b);
        int count = 0;
        int k = 0;
        for (; k + sizeof(ulong) <= a.Length; k += sizeof(ulong))
        {
            count += BitOperations.PopCount(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, k)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref y, k)));
        }

        if (k + sizeof(uint) <= a.Length)
        {
            count += BitOperations.PopCount(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x, k)) ^ Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref y, k)));
            k += sizeof(uint);
        }

        for (; k < a.Length; k++)
        {
            count += BitOperations.PopCount((uint)(Unsafe.Add(ref x, k) ^ Unsafe.Add(ref y, k)));
        }

        return count;
    }
}
