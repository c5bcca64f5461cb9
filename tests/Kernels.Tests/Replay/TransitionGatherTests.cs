using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class TransitionGatherTests
{
    private const int Rows = 300;
    private const int Envs = 4;
    private const int Slots = Rows * Envs;
    private const int Length = 6;

    [Fact]
    public void GatherWritesEveryFieldOfTheChosenSlotsOnAnyThreadCount()
    {
        Table table = new();
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        Batch sequential = new(777);
        Batch parallel = new(777);
        int[] prefix = table.Prefix();
        for (int round = 0; round < 3; round++)
        {
            var selector = new UniformSlotSelector(table.Episodes, prefix, 4, 5, (ulong)(round * 777));
            TransitionGather.Gather(table.Columns, sequential.Columns, selector, CpuAccelerator.Sequential);
            TransitionGather.Gather(table.Columns, parallel.Columns, selector, two);
            Assert.Equal(sequential.Slots, parallel.Slots);
            Assert.Equal(sequential.Observations, parallel.Observations);
            Assert.Equal(sequential.DesiredGoals, parallel.DesiredGoals);
            for (int row = 0; row < sequential.Slots.Length; row++)
            {
                int slot = sequential.Slots[row];
                Assert.Equal(slot, (int)sequential.Observations[row * 3]);
                Assert.Equal(-slot, (int)sequential.NextObservations[(row * 3) + 2]);
                Assert.Equal(slot, sequential.DiscreteActions[row]);
                Assert.Equal(slot % 7, sequential.Rewards[row]);
                Assert.Equal(slot % 2, sequential.Terminated[row]);
                Assert.Equal(1 - (slot % 2), sequential.Truncated[row]);
                Assert.Equal(slot % 3, sequential.TaskIds[row]);
                Assert.Equal(slot + 0.5f, sequential.AchievedGoals[row * 2]);
                Assert.Equal(slot + 0.25f, sequential.NextAchievedGoals[row * 2]);
                Assert.Equal(-0.5f - slot, sequential.DesiredGoals[(row * 2) + 1]);
            }

            Assert.DoesNotContain(sequential.Observations, float.IsNaN);
        }
    }

    [Fact]
    public void RelabelingInTheGatherEqualsRelabelingAfterIt()
    {
        Table table = new();
        int[] prefix = table.Prefix();
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        foreach (HerGoalStrategy strategy in new[] { HerGoalStrategy.Future, HerGoalStrategy.Final, HerGoalStrategy.Episode })
        {
            Batch fused = new(500);
            Batch separate = new(500);
            var selector = new UniformSlotSelector(table.Episodes, prefix, 4, 5, 100);
            TransitionGather.Gather(table.Columns, fused.Columns, selector, fused.Goals(table.Episodes, strategy, 123), two);
            TransitionGather.Gather(table.Columns, separate.Columns, selector, CpuAccelerator.Sequential);
            HerRelabel.Relabel(separate.Goals(table.Episodes, strategy, 123), table.NextAchievedGoals, 2, separate.Slots, separate.DesiredGoals, CpuAccelerator.Sequential);
            Assert.Equal(separate.Slots, fused.Slots);
            Assert.Equal(separate.DesiredGoals, fused.DesiredGoals);
            Assert.Equal(separate.GoalSlots.AsSpan(123).ToArray(), fused.GoalSlots.AsSpan(123).ToArray());
            for (int row = 123; row < 500; row++)
            {
                int slot = fused.Slots[row];
                int goal = fused.GoalSlots[row];
                Assert.Equal(slot % Envs, goal % Envs);
                int step = ((slot / Envs) - table.Starts[slot] + Rows) % Rows;
                int goalStep = ((goal / Envs) - table.Starts[slot] + Rows) % Rows;
                Assert.Equal(table.Starts[slot], table.Starts[goal]); // same episode
                Assert.InRange(goalStep, strategy == HerGoalStrategy.Future ? step : 0, Length - 1);
                Assert.Equal(goal + 0.25f, fused.DesiredGoals[row * 2]);
            }
        }
    }

    [Fact]
    public void BulkSlotAndGoalDrawsEqualTheRowByRowDraws()
    {
        Table table = new();
        int[] prefix = table.Prefix();
        Batch batch = new(100);
        var selector = new UniformSlotSelector(table.Episodes, prefix, 4, 5, ulong.MaxValue - 20); // crosses a 2^64 counter wrap
        HindsightGoals goals = batch.Goals(table.Episodes, HerGoalStrategy.Future, 0) with { Counter = uint.MaxValue - 30UL }; // and a 2^32 carry
        foreach ((int first, int count) in new[] { (0, 64), (3, 61), (17, 7), (40, 9), (0, 0) })
        {
            var slots = new int[count];
            var bits = new uint[count];
            selector.SelectRows(first, slots);
            goals.GoalBits(first, bits);
            for (int k = 0; k < count; k++)
            {
                Assert.Equal(selector.Select(first + k), slots[k]);
                Assert.Equal(goals.GoalSlotOf(slots[k], first + k), goals.GoalSlotFrom(slots[k], bits[k]));
                Assert.Equal(Philox4x32.Generate(4, 6, goals.Counter + (ulong)(first + k)).X0, bits[k]);
            }
        }
    }

    [Fact]
    public void VectorSlotDrawsEqualTheScalarOnesForEveryEnvCountAndEmptyEnvs()
    {
        // SelectRows maps eight rows at once for up to 16 envs (AVX-512) and falls back to the
        // scalar mapping above that; both must equal Select, whatever the runs look like.
        var random = new Random(3);
        for (int envs = 1; envs <= 20; envs++)
        {
            foreach (int rows in new[] { 1, 7, 1000, (1 << 29) / envs })
            {
                var starts = new int[envs];
                var counts = new int[envs];
                var prefix = new int[envs + 1];
                for (int env = 0; env < envs; env++)
                {
                    starts[env] = random.Next(rows);
                    counts[env] = random.Next(4) == 0 ? 0 : random.Next(1, rows + 1); // some envs empty
                    prefix[env + 1] = prefix[env] + counts[env];
                }

                if (prefix[envs] == 0)
                {
                    counts[0] = rows;
                    for (int env = 0; env < envs; env++)
                    {
                        prefix[env + 1] = prefix[env] + counts[env];
                    }
                }

                var episodes = new EpisodeIndex { ValidStarts = starts, ValidCounts = counts, Rows = rows, Envs = envs };
                var selector = new UniformSlotSelector(episodes, prefix, 9, 10, (ulong)random.NextInt64());
                var slots = new int[64];
                selector.SelectRows(5, slots);
                for (int k = 0; k < slots.Length; k++)
                {
                    Assert.Equal(selector.Select(5 + k), slots[k]);
                    int env = slots[k] % envs;
                    int offset = ((slots[k] / envs) - starts[env] + rows) % rows;
                    Assert.InRange(offset, 0, counts[env] - 1);
                }
            }
        }
    }

    /// <summary>A ring of 300 rows × 4 envs holding episodes of 6 steps; field values encode the slot.</summary>
    private sealed class Table
    {
        public Table()
        {
            for (int slot = 0; slot < Slots; slot++)
            {
                Observations[slot * 3] = slot;
                NextObservations[(slot * 3) + 2] = -slot;
                DiscreteActions[slot] = slot;
                Rewards[slot] = slot % 7;
                Terminated[slot] = (byte)(slot % 2);
                Truncated[slot] = (byte)(1 - (slot % 2));
                TaskIds[slot] = slot % 3;
                AchievedGoals[slot * 2] = slot + 0.5f;
                NextAchievedGoals[slot * 2] = slot + 0.25f;
                DesiredGoals[(slot * 2) + 1] = -0.5f - slot;
                int row = slot / Envs;
                int env = slot % Envs;

                // Env e's episodes start at rows ≡ e (mod 6), wrapping around the ring's end.
                int start = row - ((row - env + (Length * Rows)) % Length);
                Starts[slot] = (start + Rows) % Rows;
                Lengths[slot] = Length;
            }

            for (int env = 0; env < Envs; env++)
            {
                ValidStarts[env] = env;
                ValidCounts[env] = Rows - Length; // the episode crossing row 0 of env e's phase is excluded
            }
        }

        public float[] Observations { get; } = new float[Slots * 3];
        public float[] NextObservations { get; } = new float[Slots * 3];
        public int[] DiscreteActions { get; } = new int[Slots];
        public float[] Rewards { get; } = new float[Slots];
        public byte[] Terminated { get; } = new byte[Slots];
        public byte[] Truncated { get; } = new byte[Slots];
        public int[] TaskIds { get; } = new int[Slots];
        public float[] AchievedGoals { get; } = new float[Slots * 2];
        public float[] NextAchievedGoals { get; } = new float[Slots * 2];
        public float[] DesiredGoals { get; } = new float[Slots * 2];
        public int[] Starts { get; } = new int[Slots];
        public int[] Lengths { get; } = new int[Slots];
        public int[] ValidStarts { get; } = new int[Envs];
        public int[] ValidCounts { get; } = new int[Envs];

        public TransitionColumns Columns => new()
        {
            Observations = Observations,
            NextObservations = NextObservations,
            DiscreteActions = DiscreteActions,
            Rewards = Rewards,
            Terminated = Terminated,
            Truncated = Truncated,
            TaskIds = TaskIds,
            AchievedGoals = AchievedGoals,
            NextAchievedGoals = NextAchievedGoals,
            DesiredGoals = DesiredGoals,
            ObservationWidth = 3,
            ActionWidth = 1,
            GoalWidth = 2,
        };

        public EpisodeIndex Episodes => new()
        {
            EpisodeStarts = Starts,
            EpisodeLengths = Lengths,
            ValidStarts = ValidStarts,
            ValidCounts = ValidCounts,
            Rows = Rows,
            Envs = Envs,
        };

        public int[] Prefix()
        {
            var prefix = new int[Envs + 1];
            for (int env = 0; env < Envs; env++)
            {
                prefix[env + 1] = prefix[env] + ValidCounts[env];
            }

            return prefix;
        }
    }

    /// <summary>Batch arrays poisoned with NaN / int.MinValue.</summary>
    private sealed class Batch
    {
        public Batch(int size)
        {
            Observations = TestData.Poisoned(size * 3);
            NextObservations = TestData.Poisoned(size * 3);
            DiscreteActions = Filled(size);
            Rewards = TestData.Poisoned(size);
            Terminated = TestData.Poisoned(size);
            Truncated = TestData.Poisoned(size);
            TaskIds = Filled(size);
            AchievedGoals = TestData.Poisoned(size * 2);
            NextAchievedGoals = TestData.Poisoned(size * 2);
            DesiredGoals = TestData.Poisoned(size * 2);
            Slots = Filled(size);
            GoalSlots = Filled(size);
        }

        public float[] Observations { get; }
        public float[] NextObservations { get; }
        public int[] DiscreteActions { get; }
        public float[] Rewards { get; }
        public float[] Terminated { get; }
        public float[] Truncated { get; }
        public int[] TaskIds { get; }
        public float[] AchievedGoals { get; }
        public float[] NextAchievedGoals { get; }
        public float[] DesiredGoals { get; }
        public int[] Slots { get; }
        public int[] GoalSlots { get; }

        public BatchColumns Columns => new()
        {
            Observations = Observations,
            NextObservations = NextObservations,
            DiscreteActions = DiscreteActions,
            Rewards = Rewards,
            Terminated = Terminated,
            Truncated = Truncated,
            TaskIds = TaskIds,
            AchievedGoals = AchievedGoals,
            NextAchievedGoals = NextAchievedGoals,
            DesiredGoals = DesiredGoals,
            Slots = Slots,
        };

        public HindsightGoals Goals(in EpisodeIndex episodes, HerGoalStrategy strategy, int firstRow) => new()
        {
            Episodes = episodes,
            Strategy = strategy,
            FirstRow = firstRow,
            GoalSlots = GoalSlots,
            Seed = 4,
            Stream = 6,
            Counter = 9,
        };

        private static int[] Filled(int size)
        {
            var values = new int[size];
            Array.Fill(values, int.MinValue);
            return values;
        }
    }
}
