using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class HerGoalSelectionTests
{
    [Fact]
    public void RelabeledCountIsSb3sHerRatioTimesTheBatch()
    {
        for (int k = 0; k <= 8; k++)
        {
            double herRatio = 1 - (1.0 / (k + 1)); // SB3: self.her_ratio = 1 - (1.0 / (self.n_sampled_goal + 1))
            for (int batch = 0; batch <= 4096; batch++)
            {
                int count = HerGoalSelection.RelabeledCount(batch, k);
                Assert.Equal((long)batch * k / (k + 1), count);
                int sb3 = (int)(herRatio * batch); // int(self.her_ratio * batch_size)
                Assert.InRange(sb3, count - 1, count); // float rounding can only make SB3's one smaller
            }
        }

        Assert.Equal(204, HerGoalSelection.RelabeledCount(256, 4));
        Assert.Equal(819, HerGoalSelection.RelabeledCount(1024, 4));
        Assert.Equal("goalsPerTransition", Assert.Throws<ArgumentOutOfRangeException>(() => HerGoalSelection.RelabeledCount(4, -1)).ParamName);
    }

    [Fact]
    public void GoalStepsStayInTheirStrategysRange()
    {
        var random = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(1, 60);
            int step = random.Next(length);
            uint bits = (uint)random.NextInt64(0, 1L << 32);
            Assert.InRange(HerGoalSelection.GoalStep(HerGoalStrategy.Future, step, length, bits), step, length - 1);
            Assert.Equal(length - 1, HerGoalSelection.GoalStep(HerGoalStrategy.Final, step, length, bits));
            Assert.InRange(HerGoalSelection.GoalStep(HerGoalStrategy.Episode, step, length, bits), 0, length - 1);
        }

        // The extremes of the random word reach both ends of the range.
        Assert.Equal(3, HerGoalSelection.GoalStep(HerGoalStrategy.Future, 3, 10, 0u));
        Assert.Equal(9, HerGoalSelection.GoalStep(HerGoalStrategy.Future, 3, 10, uint.MaxValue));
    }

    [Fact]
    public void GoalSlotsStayInTheSampledEnvsColumnAndWrapAroundTheRing()
    {
        // 5 rows × 2 envs; env 1 has an episode on rows 3, 4, 0 (wrapping), start 3, length 3.
        int[] starts = new int[10];
        int[] lengths = new int[10];
        foreach (int row in new[] { 3, 4, 0 })
        {
            starts[(row * 2) + 1] = 3;
            lengths[(row * 2) + 1] = 3;
        }

        var episodes = new EpisodeIndex { EpisodeStarts = starts, EpisodeLengths = lengths, Rows = 5, Envs = 2, ValidStarts = new int[2], ValidCounts = new int[2] };
        Assert.Equal(1, HerRelabel.GoalSlot(episodes, 7, HerGoalStrategy.Final, 0)); // final step is row 0
        Assert.Equal(9, HerRelabel.GoalSlot(episodes, 9, HerGoalStrategy.Future, 0)); // step 1 (row 4) → itself at least
        Assert.Equal(1, HerRelabel.GoalSlot(episodes, 1, HerGoalStrategy.Future, uint.MaxValue));
        Assert.Equal(7, HerRelabel.GoalSlot(episodes, 1, HerGoalStrategy.Episode, 0));
    }
}
