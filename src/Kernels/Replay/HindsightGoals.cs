using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// What hindsight relabeling of a batch needs besides the batch itself: the ring's episode
/// bookkeeping, the goal strategy, the first row to relabel (rows before it stay real), where to
/// record each relabeled row's goal slot, and the random stream. Passed to
/// <see cref="HerRelabel.Relabel(in HindsightGoals, in TransitionColumns, in BatchColumns, Accelerator?)"/>, or to <see cref="TransitionGather"/> so sampling and
/// relabeling run as one pass.
/// </summary>
/// <remarks>Row i draws its goal step from word 0 of Philox block (seed, stream, counter + i).</remarks>
public readonly ref struct HindsightGoals
{
    /// <summary>The ring's bookkeeping; every relabeled row's slot must have a positive episode length.</summary>
    public EpisodeIndex Episodes { get; init; }

    /// <summary>Where substitute goals come from.</summary>
    public HerGoalStrategy Strategy { get; init; }

    /// <summary>First relabeled row; rows [FirstRow, batch size) are relabeled.</summary>
    public int FirstRow { get; init; }

    /// <summary>Receives, per relabeled row, the slot whose next achieved goal became its desired goal.</summary>
    public Span<int> GoalSlots { get; init; }

    /// <summary>Experiment seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Random stream.</summary>
    public ulong Stream { get; init; }

    /// <summary>Counter of row 0.</summary>
    public ulong Counter { get; init; }

    /// <summary>Checks the plan against a batch of <paramref name="rows"/> rows.</summary>
    /// <param name="rows">Batch size.</param>
    public void Validate(int rows)
    {
        if ((uint)FirstRow > (uint)rows)
        {
            throw new ArgumentOutOfRangeException(nameof(FirstRow), FirstRow, $"FirstRow must be in [0, {rows}]");
        }

        if ((uint)Strategy > (uint)HerGoalStrategy.Episode)
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Strategy must be Future, Final or Episode");
        }

        if (GoalSlots.Length < rows)
        {
            throw new ArgumentException($"GoalSlots must hold {rows} entries", nameof(GoalSlots));
        }
    }

    /// <summary>The goal slot for relabeled row <paramref name="row"/> whose sampled slot is <paramref name="slot"/>.</summary>
    /// <param name="slot">The row's sampleable slot.</param>
    /// <param name="row">The row.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GoalSlotOf(int slot, int row)
        => HerRelabel.GoalSlot(Episodes, slot, Strategy, Philox4x32.Generate(Seed, Stream, Counter + (ulong)row).X0);

    /// <summary>
    /// The random words of rows [<paramref name="firstRow"/>, + <paramref name="bits"/>.Length) that
    /// <see cref="GoalSlotOf"/> draws, eight Philox blocks at a time; pass them to <see cref="GoalSlotFrom(int, uint)"/>.
    /// </summary>
    /// <param name="firstRow">First row.</param>
    /// <param name="bits">Receives one word per row.</param>
    public void GoalBits(int firstRow, scoped Span<uint> bits)
    {
        int k = 0;
        for (; k + PhiloxGroup.Blocks <= bits.Length; k += PhiloxGroup.Blocks)
        {
            PhiloxGroup.Generate(Seed, Stream, Counter + (ulong)(firstRow + k), out Vector256<uint> x0, out _, out _, out _);
            x0.CopyTo(bits[k..]);
        }

        for (; k < bits.Length; k++)
        {
            bits[k] = Philox4x32.Generate(Seed, Stream, Counter + (ulong)(firstRow + k)).X0;
        }
    }

    /// <summary>The goal slot for a row whose sampled slot is <paramref name="slot"/> and whose word from <see cref="GoalBits"/> is <paramref name="bits"/>.</summary>
    /// <param name="slot">The row's sampleable slot.</param>
    /// <param name="bits">The row's random word.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GoalSlotFrom(int slot, uint bits) => HerRelabel.GoalSlot(Episodes, slot, Strategy, bits);

    /// <summary>As <see cref="GoalSlotFrom(int, uint)"/> with the slot's episode start and length already read (from its slot record).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int GoalSlotFrom(int slot, int episodeStart, int episodeLength, uint bits)
        => HerRelabel.GoalSlot(Episodes.Envs, Episodes.Rows, slot, episodeStart, episodeLength, Strategy, bits);
}
