using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

public sealed class PointMassEnvironmentTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void StepsMatchTheScalarReferenceBitForBitThroughAutoresets(bool sparse, bool goalInObservation)
    {
        const int environments = 23;
        var options = new PointMassOptions { SparseReward = sparse, MaxEpisodeSteps = 60, GoalInObservation = goalInObservation };
        var env = new PointMassVectorEnvironment(environments, options, accelerator: CpuAccelerator.Sequential);
        int[] tasks = env.Buffers.TaskIds.ToArray();
        var reference = new PointMassReference(environments, options, tasks);
        var random = new Random(13);

        StepBufferAssert.Poison(env.Buffers);
        env.Reset(500);
        StepBufferAssert.Matches(reference.Reset(500), env.Buffers, 0f, "reset");
        Assert.Equal(Enumerable.Range(0, environments).Select(i => i % 10), env.Buffers.TaskIds);
        for (int t = 0; t < 250; t++)
        {
            float[] actions = Actions(env.Buffers, random, noise: 1.5f);
            StepBufferAssert.Poison(env.Buffers);
            env.Step(actions);
            StepBufferAssert.Matches(reference.Step(actions), env.Buffers, 0f, $"step {t}");
        }

        Assert.True(reference.Successes > 0, "no environment reached its goal");
        Assert.True(reference.Truncations > 0, "no episode was truncated");
    }

    [Fact]
    public void GoalInObservationEndsEveryObservationWithItsEpisodesGoalThroughAutoresets()
    {
        const int environments = 13;
        var plain = new PointMassVectorEnvironment(environments, new PointMassOptions { MaxEpisodeSteps = 25 }, accelerator: CpuAccelerator.Sequential);
        var withGoal = new PointMassVectorEnvironment(environments, new PointMassOptions { MaxEpisodeSteps = 25, GoalInObservation = true }, accelerator: CpuAccelerator.Sequential);
        Assert.Equal(6, withGoal.ObservationSize);
        Assert.Equal(6, withGoal.Buffers.ObservationSize);
        Assert.Equal(4, plain.ObservationSize);
        var random = new Random(8);
        plain.Reset(77);
        withGoal.Reset(77);
        Compare("reset", finished: false);
        int finishedRows = 0;
        for (int t = 0; t < 120; t++)
        {
            float[] actions = Actions(plain.Buffers, random, 0.8f);
            StepBufferAssert.Poison(withGoal.Buffers);
            plain.Step(actions);
            withGoal.Step(actions);
            Compare($"step {t}", finished: true);
            finishedRows += withGoal.Buffers.Finished.Count(f => f);
        }

        Assert.True(finishedRows > environments, $"only {finishedRows} autoresets");

        // Same dynamics as the 4-wide observation; the last two columns are the current episode's goal,
        // and a final observation carries the finished episode's goal, not the next one's.
        void Compare(string when, bool finished)
        {
            Assert.Equal(plain.Buffers.DesiredGoals, withGoal.Buffers.DesiredGoals);
            for (int i = 0; i < environments; i++)
            {
                Assert.Equal(plain.Buffers.Observations.AsSpan(i * 4, 4).ToArray(), withGoal.Buffers.Observations.AsSpan(i * 6, 4).ToArray());
                Assert.Equal(withGoal.Buffers.DesiredGoals.AsSpan(i * 2, 2).ToArray(), withGoal.Buffers.Observations.AsSpan(i * 6 + 4, 2).ToArray());
                if (finished && withGoal.Buffers.Finished[i])
                {
                    Assert.Equal(plain.Buffers.FinalObservations.AsSpan(i * 4, 4).ToArray(), withGoal.Buffers.FinalObservations.AsSpan(i * 6, 4).ToArray());
                    float[] finalGoal = withGoal.Buffers.FinalDesiredGoals.AsSpan(i * 2, 2).ToArray();
                    Assert.Equal(finalGoal, withGoal.Buffers.FinalObservations.AsSpan(i * 6 + 4, 2).ToArray());
                    Assert.NotEqual(finalGoal, withGoal.Buffers.DesiredGoals.AsSpan(i * 2, 2).ToArray());
                }
            }
        }
    }

    [Fact]
    public void TheObservationOnlyViewHidesTheGoalInterfaceAndStepsTheSameEnvironment()
    {
        var env = new PointMassVectorEnvironment(3, new PointMassOptions { GoalInObservation = true });
        IVectorEnvironment view = new ObservationOnlyVectorEnvironment(env);
        Assert.False(view is IGoalVectorEnvironment);
        Assert.Same(env.Buffers, view.Buffers);
        Assert.Equal((6, 10, 3), (view.ObservationSize, view.TaskCount, view.EnvironmentCount));
        Assert.Same(env.ActionSpace, view.ActionSpace);
        view.Reset(5);
        Assert.Equal(5ul, env.Seed);
        var before = env.Buffers.Observations.ToArray();
        ((IContinuousVectorEnvironment)view).Step(new float[] { 1, 1, -1, -1, 1, 0 });
        Assert.NotEqual(before, env.Buffers.Observations);
        Assert.Throws<ArgumentNullException>(() => new ObservationOnlyVectorEnvironment(null!));
    }

    [Fact]
    public void TheTenTasksReallyDiffer()
    {
        var suite = PointMassTaskSuite.Ten;
        Assert.Equal(10, suite.Count);
        Assert.Equal(10, suite.Distinct().Count());
        Assert.True(suite.Select(t => t.Mass).Distinct().Count() >= 5);
        Assert.True(suite.Select(t => t.Friction).Distinct().Count() >= 5);
        Assert.True(suite.Count(t => t.WindX != 0f || t.WindY != 0f) >= 4);
        for (int a = 0; a < suite.Count; a++)
        {
            for (int b = a + 1; b < suite.Count; b++)
            {
                // Goal regions are disjoint squares.
                bool overlap = Math.Abs(suite[a].GoalX - suite[b].GoalX) < suite[a].GoalHalfWidth + suite[b].GoalHalfWidth
                    && Math.Abs(suite[a].GoalY - suite[b].GoalY) < suite[a].GoalHalfWidth + suite[b].GoalHalfWidth;
                Assert.False(overlap, $"goal regions of tasks {a} and {b} overlap");
            }
        }

        // Same forces from rest: the displacements and velocities alone tell every pair of tasks apart.
        var options = new PointMassOptions { MaxEpisodeSteps = 1000 };
        var env = new PointMassVectorEnvironment(10, options, accelerator: CpuAccelerator.Sequential);
        env.Reset(1);
        var start = env.Buffers.Observations.ToArray();
        var displacement = new float[10][];
        for (int t = 0; t < 15; t++)
        {
            float push = t < 8 ? 1f : -0.5f;
            env.Step(Enumerable.Repeat(push, 20).ToArray());
        }

        for (int task = 0; task < 10; task++)
        {
            displacement[task] = [env.Buffers.Observations[task * 4] - start[task * 4], env.Buffers.Observations[task * 4 + 1] - start[task * 4 + 1],
                env.Buffers.Observations[task * 4 + 2], env.Buffers.Observations[task * 4 + 3]];
        }

        for (int a = 0; a < 10; a++)
        {
            for (int b = a + 1; b < 10; b++)
            {
                float gap = displacement[a].Zip(displacement[b], (x, y) => Math.Abs(x - y)).Max();
                Assert.True(gap > 1e-3f, $"tasks {a} and {b} move the same way");
            }
        }

        // Goals come from each task's own region.
        env.Reset(2);
        for (int task = 0; task < 10; task++)
        {
            Assert.InRange(env.Buffers.DesiredGoals[task * 2], suite[task].GoalX - 0.1f, suite[task].GoalX + 0.1f);
            Assert.InRange(env.Buffers.DesiredGoals[task * 2 + 1], suite[task].GoalY - 0.1f, suite[task].GoalY + 0.1f);
        }
    }

    [Fact]
    public void EveryTaskOfTheSuiteIsSolvableByASimpleController()
    {
        var env = new PointMassVectorEnvironment(40, accelerator: CpuAccelerator.Sequential);
        env.Reset(21);
        var successes = new int[10];
        for (int t = 0; t < 400; t++)
        {
            env.Step(Actions(env.Buffers, null, 0f));
            for (int i = 0; i < 40; i++)
            {
                successes[env.Buffers.TaskIds[i]] += env.Buffers.Terminated[i] ? 1 : 0;
            }
        }

        Assert.All(successes, s => Assert.True(s > 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BulkComputeRewardEqualsTheRewardsTheEnvironmentPaid(bool sparse)
    {
        const int environments = 30, steps = 120;
        var env = new PointMassVectorEnvironment(environments, new PointMassOptions { SparseReward = sparse });
        var random = new Random(17);
        env.Reset(4);
        var achieved = new float[steps * environments * 2];
        var desired = new float[steps * environments * 2];
        var paid = new float[steps * environments];
        var terminated = new bool[steps * environments];
        for (int t = 0; t < steps; t++)
        {
            float[] desiredBefore = env.Buffers.DesiredGoals.ToArray();
            env.Step(Actions(env.Buffers, random, 0.5f));
            for (int i = 0; i < environments; i++)
            {
                int row = t * environments + i;
                float[] next = env.Buffers.Finished[i] ? env.Buffers.FinalAchievedGoals : env.Buffers.AchievedGoals;
                Array.Copy(next, i * 2, achieved, row * 2, 2);
                Array.Copy(desiredBefore, i * 2, desired, row * 2, 2);
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
        Assert.Contains(true, flags);
    }

    [Fact]
    public void OneAndTwoThreadsProduceIdenticalBuffers()
    {
        const int environments = 2500;
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = new PointMassVectorEnvironment(environments, accelerator: one);
        var b = new PointMassVectorEnvironment(environments, accelerator: two);
        var random = new Random(3);
        a.Reset(10);
        b.Reset(10);
        StepBufferAssert.Identical(a.Buffers, b.Buffers, "reset");
        for (int t = 0; t < 120; t++)
        {
            float[] actions = Actions(a.Buffers, random, 0.7f);
            StepBufferAssert.Poison(a.Buffers);
            StepBufferAssert.Poison(b.Buffers);
            a.Step(actions);
            b.Step(actions);
            StepBufferAssert.Identical(a.Buffers, b.Buffers, $"step {t}");
        }
    }

    [Fact]
    public void ExplicitTaskAssignmentIsHonoured()
    {
        int[] tasks = [9, 9, 0, 3];
        var env = new PointMassVectorEnvironment(4, taskIds: tasks);
        env.Reset(0);
        Assert.Equal(tasks, env.Buffers.TaskIds);
        Assert.Equal(10, env.TaskCount);
        Assert.Equal(ActionKind.Continuous, env.ActionSpace.Kind);
        Assert.Equal([-1f, -1f], env.ActionSpace.Low);
        Assert.Equal([1f, 1f], env.ActionSpace.High);
    }

    /// <summary>A damped proportional controller toward each goal plus uniform noise (wider than [−1, 1] to exercise clipping).</summary>
    private static float[] Actions(VectorStepBuffers buffers, Random? random, float noise)
    {
        var actions = new float[buffers.EnvironmentCount * 2];
        for (int i = 0; i < buffers.EnvironmentCount; i++)
        {
            for (int k = 0; k < 2; k++)
            {
                int row = i * buffers.ObservationSize;
                float error = buffers.DesiredGoals[i * 2 + k] - buffers.Observations[row + k];
                float control = 12f * error - 3f * buffers.Observations[row + 2 + k];
                actions[i * 2 + k] = control + (random is null ? 0f : noise * (float)(random.NextDouble() * 2 - 1));
            }
        }

        return actions;
    }
}
