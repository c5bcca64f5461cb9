using System;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class LargeCapacityTests
{
    [Fact]
    public void TenMillionTransitionsWrapAroundAndSampleOnlyIntactEpisodes()
    {
        // Narrow fields keep this at about 300 MB: the point is capacity, indices and wraparound.
        const int envs = 1_000;
        const int capacity = 10_000_000;
        var options = new ReplayBufferOptions
        {
            Capacity = capacity,
            EnvCount = envs,
            ObservationWidth = 1,
            ActionWidth = 1,
            DiscreteActions = true,
            GoalWidth = 1,
            Seed = 3,
        };
        var buffer = new ReplayBuffer(options, CpuAccelerator.Sequential);
        var observation = new float[envs];
        var next = new float[envs];
        var actions = new int[envs];
        var zeros = new float[envs];
        var terminated = new bool[envs];
        var truncated = new bool[envs];
        var episodeStep = new int[envs];
        const int steps = (capacity / envs) + 37; // wraps; every env is 0-36 steps into an episode
        for (int step = 0; step < steps; step++)
        {
            for (int e = 0; e < envs; e++)
            {
                observation[e] = step; // global step, exact in float
                next[e] = step + 1;
                int length = 20 + (e % 31);
                truncated[e] = ++episodeStep[e] == length;
                if (truncated[e])
                {
                    episodeStep[e] = 0;
                }
            }

            buffer.Add(new ReplayStep
            {
                Observations = observation,
                NextObservations = next,
                DiscreteActions = actions,
                Rewards = zeros,
                Terminated = terminated,
                Truncated = truncated,
                AchievedGoals = zeros,
                NextAchievedGoals = next,
                DesiredGoals = zeros,
            });
        }

        Assert.Equal(capacity, buffer.Count);
        long oldest = steps - buffer.Rows;
        ReplayBatch batch = buffer.CreateBatch(4096);
        ReplayTestBuffers.Poison(batch);
        buffer.SampleHer(batch, HerOptions.Default, new ThresholdGoalReward(0f, terminateOnSuccess: false));
        ReplayTestBuffers.AssertFullyWritten(batch);
        for (int row = 0; row < batch.Size; row++)
        {
            int env = batch.Slots[row] % envs;
            int length = 20 + (env % 31);
            long step = (long)batch.Observations[row];
            long start = step - (step % length); // every env's episodes start at multiples of its length
            Assert.True(start >= oldest && start + length <= steps, $"row {row}: step {step} of env {env}");
            if (row >= batch.RelabeledStart)
            {
                long goal = (long)batch.DesiredGoals[row];
                Assert.InRange(goal, step + 1, start + length); // future: the state after a step t' ≥ t
            }
        }
    }
}
