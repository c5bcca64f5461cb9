using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Hindsight relabeling of a sampled batch in place: each chosen row's desired goal is replaced
/// by the next achieved goal of another step of the same episode, chosen by a
/// <see cref="HerGoalStrategy"/>. Storage is only read, so relabeling never grows the buffer; the
/// caller then recomputes the rows' rewards with the environment's <see cref="IGoalReward"/>.
/// </summary>
public static class HerRelabel
{
    private const int BlockRows = 64;
    private const int PrefetchDistance = 8;

    /// <summary>
    /// Relabels rows [<see cref="HindsightGoals.FirstRow"/>, batch end) of a batch sampled from the
    /// ring. Results depend only on the plan's random inputs, not on the thread count.
    /// </summary>
    /// <param name="goals">The relabeling plan.</param>
    /// <param name="nextAchievedGoals">Storage of next achieved goals, slots × goalWidth.</param>
    /// <param name="goalWidth">Floats per goal; at least 1.</param>
    /// <param name="slots">Slot of every batch row.</param>
    /// <param name="desiredGoals">Batch desired goals (rows × goalWidth), overwritten for relabeled rows.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Relabel(
        in HindsightGoals goals, ReadOnlySpan<float> nextAchievedGoals, int goalWidth, ReadOnlySpan<int> slots,
        Span<float> desiredGoals, Accelerator? accelerator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(goalWidth, 1);
        goals.Validate(slots.Length);
        if (desiredGoals.Length < slots.Length * goalWidth)
        {
            throw new ArgumentException($"desiredGoals must hold {slots.Length} rows of {goalWidth} floats", nameof(desiredGoals));
        }

        var kernel = new RelabelKernel(goals, nextAchievedGoals, goalWidth, slots, desiredGoals);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(slots.Length - goals.FirstRow, TransitionGather.RowGrain, in kernel);
    }

    /// <summary>
    /// Relabels like <see cref="Relabel(in HindsightGoals, ReadOnlySpan{float}, int, ReadOnlySpan{int}, Span{float}, Accelerator?)"/>
    /// from a table whose goals may be stored compactly: the new goals are written into the batch's
    /// desired-goal fields that are present — decoded into <see cref="BatchColumns.DesiredGoals"/>,
    /// in the stored encoding into <see cref="BatchColumns.EncodedDesiredGoals"/>.
    /// </summary>
    /// <param name="goals">The relabeling plan.</param>
    /// <param name="source">The transition table; must have goals.</param>
    /// <param name="batch">A batch gathered from <paramref name="source"/>; its slots are read, its desired goals overwritten.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Relabel(in HindsightGoals goals, in TransitionColumns source, in BatchColumns batch, Accelerator? accelerator = null)
    {
        if (source.GoalWidth < 1)
        {
            throw new ArgumentException("relabeling needs a table with goals (GoalWidth ≥ 1)", nameof(source));
        }

        goals.Validate(batch.Slots.Length);
        TransitionGather.CheckFields(source, batch);
        var kernel = new TableRelabelKernel(goals, source, batch);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(batch.Slots.Length - goals.FirstRow, TransitionGather.RowGrain, in kernel);
    }

    /// <summary>
    /// The goal slot for a sampled slot: its step t within the episode, the strategy's step t',
    /// and the slot of t' in the same env column.
    /// </summary>
    /// <param name="episodes">The ring's bookkeeping.</param>
    /// <param name="slot">A sampleable slot.</param>
    /// <param name="strategy">Where new goals come from.</param>
    /// <param name="bits">A random word.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GoalSlot(in EpisodeIndex episodes, int slot, HerGoalStrategy strategy, uint bits) =>
        GoalSlot(episodes.Envs, episodes.Rows, slot, episodes.EpisodeStarts[slot], episodes.EpisodeLengths[slot], strategy, bits);

    /// <summary>
    /// <see cref="GoalSlot(in EpisodeIndex, int, HerGoalStrategy, uint)"/> for a slot whose episode
    /// start and length were read already (from a slot record).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int GoalSlot(int envs, int rows, int slot, int start, int length, HerGoalStrategy strategy, uint bits)
    {
        // Env counts are usually powers of two: a shift instead of a division on every relabeled row.
        int ringRow = (envs & (envs - 1)) == 0 ? slot >> BitOperations.TrailingZeroCount(envs) : slot / envs;
        int env = slot - (ringRow * envs);
        int step = ringRow - start;
        if (step < 0)
        {
            step += rows;
        }

        int goalRow = start + HerGoalSelection.GoalStep(strategy, step, length, bits);
        if (goalRow >= rows)
        {
            goalRow -= rows;
        }

        return (goalRow * envs) + env;
    }

    /// <summary>Requests the episode bookkeeping of a slot, ahead of <see cref="GoalSlot(in EpisodeIndex, int, HerGoalStrategy, uint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchEpisode(in EpisodeIndex episodes, int slot)
    {
        CachePrefetch.Element(episodes.EpisodeStarts, slot);
        CachePrefetch.Element(episodes.EpisodeLengths, slot);
    }

    private readonly ref struct RelabelKernel : IRangeKernel
    {
        private readonly HindsightGoals _goals;
        private readonly ReadOnlySpan<float> _nextAchievedGoals;
        private readonly ReadOnlySpan<int> _slots;
        private readonly Span<float> _desiredGoals;
        private readonly int _goalWidth;

        public RelabelKernel(in HindsightGoals goals, ReadOnlySpan<float> nextAchievedGoals, int goalWidth, ReadOnlySpan<int> slots, Span<float> desiredGoals)
        {
            _goals = goals;
            _nextAchievedGoals = nextAchievedGoals;
            _goalWidth = goalWidth;
            _slots = slots;
            _desiredGoals = desiredGoals;
        }

        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            // Three dependent reads per row (episode start and length, then the goal row): find
            // the goal slots of a block while prefetching the episode data of rows further on,
            // prefetch each goal row as soon as its slot is known, and copy the goals last.
            Span<int> goalSlots = stackalloc int[BlockRows];
            int g = _goalWidth;
            int firstRow = _goals.FirstRow;
            for (int first = firstRow + start; first < firstRow + end; first += BlockRows)
            {
                int count = Math.Min(BlockRows, firstRow + end - first);
                for (int k = 0; k < Math.Min(PrefetchDistance, count); k++)
                {
                    PrefetchEpisode(_goals.Episodes, _slots[first + k]);
                }

                for (int k = 0; k < count; k++)
                {
                    if (k + PrefetchDistance < count)
                    {
                        PrefetchEpisode(_goals.Episodes, _slots[first + k + PrefetchDistance]);
                    }

                    int row = first + k;
                    int goalSlot = _goals.GoalSlotOf(_slots[row], row);
                    goalSlots[k] = goalSlot;
                    _goals.GoalSlots[row] = goalSlot;
                    CachePrefetch.Row(_nextAchievedGoals, goalSlot * g, g);
                }

                for (int k = 0; k < count; k++)
                {
                    _nextAchievedGoals.Slice(goalSlots[k] * g, g).CopyTo(_desiredGoals.Slice((first + k) * g, g));
                }
            }
        }
    }

    private readonly ref struct TableRelabelKernel : IRangeKernel
    {
        private readonly HindsightGoals _goals;
        private readonly TransitionColumns _source;
        private readonly BatchColumns _batch;

        public TableRelabelKernel(in HindsightGoals goals, in TransitionColumns source, in BatchColumns batch)
        {
            _goals = goals;
            _source = source;
            _batch = batch;
        }

        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            // As RelabelKernel, with the goal rows read in their storage type.
            Span<int> goalSlots = stackalloc int[BlockRows];
            int g = _source.GoalWidth;
            ColumnElementType type = _source.GoalElementType;
            int firstRow = _goals.FirstRow;
            for (int first = firstRow + start; first < firstRow + end; first += BlockRows)
            {
                int count = Math.Min(BlockRows, firstRow + end - first);
                for (int k = 0; k < Math.Min(PrefetchDistance, count); k++)
                {
                    PrefetchEpisode(_goals.Episodes, _batch.Slots[first + k]);
                }

                for (int k = 0; k < count; k++)
                {
                    if (k + PrefetchDistance < count)
                    {
                        PrefetchEpisode(_goals.Episodes, _batch.Slots[first + k + PrefetchDistance]);
                    }

                    int row = first + k;
                    int goalSlot = _goals.GoalSlotOf(_batch.Slots[row], row);
                    goalSlots[k] = goalSlot;
                    _goals.GoalSlots[row] = goalSlot;
                    TransitionGather.PrefetchField(_source.NextAchievedGoals, _source.EncodedNextAchievedGoals, type, goalSlot, g);
                }

                for (int k = 0; k < count; k++)
                {
                    TransitionGather.CopyField(
                        _source.NextAchievedGoals, _source.EncodedNextAchievedGoals, type, goalSlots[k], g, _batch.DesiredGoals, _batch.EncodedDesiredGoals, first + k);
                }
            }
        }
    }
}
