using System;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

public sealed class BitFlipEnvironmentTests
{
    [Theory]
    [InlineData(5, 37, 300)]
    [InlineData(64, 9, 200)]
    [InlineData(1, 4, 50)]
    public void StepsMatchTheScalarReferenceThroughAutoresets(int bits, int environments, int steps)
    {
        var env = new BitFlipVectorEnvironment(environments, bits, accelerator: CpuAccelerator.Sequential);
        var reference = new BitFlipReference(environments, bits, bits);
        var random = new Random(11);

        StepBufferAssert.Poison(env.Buffers);
        env.Reset(42);
        StepBufferAssert.Matches(reference.Reset(42), env.Buffers, 0f, "reset");
        Assert.All(env.Buffers.TaskIds, id => Assert.Equal(0, id));
        for (int t = 0; t < steps; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(bits)).ToArray();
            StepBufferAssert.Poison(env.Buffers);
            env.Step(actions);
            StepBufferAssert.Matches(reference.Step(actions), env.Buffers, 0f, $"step {t}");
        }

        Assert.True(reference.Truncations > 0, "no episode was truncated");
        if (bits <= 5)
        {
            Assert.True(reference.Successes > 0, "no episode reached its goal");
        }
    }

    [Fact]
    public void ReachingTheGoalTerminatesAndReturnsTheNextEpisodesFirstObservation()
    {
        const int bits = 8;
        var env = new BitFlipVectorEnvironment(1, bits, accelerator: CpuAccelerator.Sequential);
        env.Reset(3);
        float[] goal = env.Buffers.DesiredGoals.ToArray();
        int[] wrong = Enumerable.Range(0, bits).Where(b => env.Buffers.Observations[b] != goal[b]).ToArray();
        Assert.True(wrong.Length is > 0 and < bits, "seed 3 should start away from the goal");

        for (int k = 0; k < wrong.Length; k++)
        {
            StepBufferAssert.Poison(env.Buffers);
            env.Step([wrong[k]]);
            bool last = k == wrong.Length - 1;
            Assert.Equal(last, env.Buffers.Terminated[0]);
            Assert.Equal(last, env.Buffers.Finished[0]);
            Assert.False(env.Buffers.Truncated[0]);
            Assert.Equal(last ? 0f : -1f, env.Buffers.Rewards[0]);
        }

        // The finished episode's last state is kept; the returned observation is episode 1's start.
        Assert.Equal(goal, env.Buffers.FinalObservations);
        Assert.Equal(goal, env.Buffers.FinalAchievedGoals);
        Assert.Equal(goal, env.Buffers.FinalDesiredGoals);
        Assert.NotEqual(goal, env.Buffers.Observations);
        var startOfEpisodeOne = new float[bits];
        var block = ReferenceRandom.Block(3, 0, 1, 0);
        for (int b = 0; b < bits; b++)
        {
            startOfEpisodeOne[b] = (block.X0 >> b) & 1;
        }

        Assert.Equal(startOfEpisodeOne, env.Buffers.Observations);
        Assert.Equal(env.Buffers.Observations, env.Buffers.AchievedGoals);

        // The transition's next observation for replay is the final one, not the reset one.
        var next = new float[bits];
        env.Buffers.CopyNextObservations(next);
        Assert.Equal(goal, next);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => env.Buffers.CopyNextObservations(new float[bits + 1])).ParamName);
    }

    [Fact]
    public void AnEpisodeThatNeverSucceedsIsTruncatedAfterNSteps()
    {
        const int bits = 6;
        var env = new BitFlipVectorEnvironment(1, bits, accelerator: CpuAccelerator.Sequential);
        env.Reset(5);
        // Toggling a bit that is already right twice in a row never reaches the goal (seed 5 starts ≥ 2 bits away).
        int right = Enumerable.Range(0, bits).First(b => env.Buffers.Observations[b] == env.Buffers.DesiredGoals[b]);
        Assert.True(Enumerable.Range(0, bits).Count(b => env.Buffers.Observations[b] != env.Buffers.DesiredGoals[b]) >= 2);
        float[] start = env.Buffers.Observations.ToArray();
        for (int t = 1; t <= bits; t++)
        {
            env.Step([right]);
            Assert.False(env.Buffers.Terminated[0]);
            Assert.Equal(t == bits, env.Buffers.Truncated[0]);
            Assert.Equal(t == bits, env.Buffers.Finished[0]);
            Assert.Equal(-1f, env.Buffers.Rewards[0]);
        }

        Assert.Equal(start, env.Buffers.FinalObservations); // an even number of toggles restores the start
    }

    [Fact]
    public void BulkComputeRewardEqualsTheRewardsTheEnvironmentPaid()
    {
        const int bits = 4, environments = 64, steps = 40;
        var env = new BitFlipVectorEnvironment(environments, bits);
        var random = new Random(2);
        env.Reset(9);
        var achieved = new float[steps * environments * bits];
        var desired = new float[steps * environments * bits];
        var paid = new float[steps * environments];
        var terminated = new bool[steps * environments];
        for (int t = 0; t < steps; t++)
        {
            float[] desiredBefore = env.Buffers.DesiredGoals.ToArray();
            env.Step(Enumerable.Range(0, environments).Select(_ => random.Next(bits)).ToArray());
            for (int i = 0; i < environments; i++)
            {
                int row = t * environments + i;
                float[] next = env.Buffers.Finished[i] ? env.Buffers.FinalAchievedGoals : env.Buffers.AchievedGoals;
                Array.Copy(next, i * bits, achieved, row * bits, bits);
                Array.Copy(desiredBefore, i * bits, desired, row * bits, bits);
                paid[row] = env.Buffers.Rewards[i];
                terminated[row] = env.Buffers.Terminated[i];
            }
        }

        var rewards = new float[paid.Length];
        var flags = new bool[paid.Length];
        env.ComputeReward(achieved, desired, rewards);
        env.ComputeTerminated(achieved, desired, flags);
        Assert.Equal(paid, rewards);
        Assert.Equal(terminated, flags);
        Assert.Contains(0f, rewards);
        Assert.Contains(-1f, rewards);

        // Hindsight relabeling: desired goals replaced by achieved goals of other rows.
        var relabeled = new float[desired.Length];
        int rows = paid.Length;
        var partner = Enumerable.Range(0, rows).Select(r => random.Next(rows)).ToArray();
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(achieved, partner[r] * bits, relabeled, r * bits, bits);
        }

        env.ComputeReward(achieved, relabeled, rewards);
        for (int r = 0; r < rows; r++)
        {
            bool equal = achieved.AsSpan(r * bits, bits).SequenceEqual(relabeled.AsSpan(r * bits, bits));
            Assert.Equal(equal ? 0f : -1f, rewards[r]);
        }
    }

    [Fact]
    public void OneAndTwoThreadsProduceIdenticalBuffers()
    {
        const int bits = 12, environments = 3001;
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = new BitFlipVectorEnvironment(environments, bits, accelerator: one);
        var b = new BitFlipVectorEnvironment(environments, bits, accelerator: two);
        var random = new Random(4);
        a.Reset(77);
        b.Reset(77);
        StepBufferAssert.Identical(a.Buffers, b.Buffers, "reset");
        for (int t = 0; t < 40; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(bits)).ToArray();
            StepBufferAssert.Poison(a.Buffers);
            StepBufferAssert.Poison(b.Buffers);
            a.Step(actions);
            b.Step(actions);
            StepBufferAssert.Identical(a.Buffers, b.Buffers, $"step {t}");
        }
    }
}
