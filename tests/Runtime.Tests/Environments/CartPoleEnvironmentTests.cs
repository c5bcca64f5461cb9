using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

public sealed class CartPoleEnvironmentTests
{
    private static readonly CartPoleOptions s_randomized = new()
    {
        MassCart = new UniformRange(0.5f, 2f),
        MassPole = new UniformRange(0.05f, 0.5f),
        HalfPoleLength = new UniformRange(0.25f, 1f),
        ForceMagnitude = new UniformRange(5f, 15f),
        MaxEpisodeSteps = 30,
    };

    [Fact]
    public void DefaultOptionsAreCartPoleV1()
    {
        var options = new CartPoleOptions();
        Assert.False(options.IsRandomized);
        Assert.Equal(500, options.MaxEpisodeSteps);
        Assert.Equal(UniformRange.Fixed(1.0f), options.MassCart);
        Assert.Equal(UniformRange.Fixed(0.1f), options.MassPole);
        Assert.Equal(UniformRange.Fixed(0.5f), options.HalfPoleLength);
        Assert.Equal(UniformRange.Fixed(10f), options.ForceMagnitude);
        Assert.Equal(0.02f, CartPoleConstants.Tau);
        Assert.Equal(9.8f, CartPoleConstants.Gravity);
        Assert.Equal((float)(12 * 2 * Math.PI / 360), CartPoleConstants.ThetaThresholdRadians);
        Assert.Equal(2.4f, CartPoleConstants.XThreshold);

        var env = new CartPoleVectorEnvironment(20, accelerator: CpuAccelerator.Sequential);
        env.Reset(1);
        Assert.All(env.TotalMass.ToArray(), m => Assert.Equal(1.1f, m));
        Assert.All(env.MassPole.ToArray(), m => Assert.Equal(0.1f, m));
        Assert.All(env.HalfPoleLength.ToArray(), l => Assert.Equal(0.5f, l));
        Assert.All(env.ForceMagnitude.ToArray(), f => Assert.Equal(10f, f));
        Assert.All(env.Buffers.Observations, v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.Equal(ActionKind.Discrete, env.ActionSpace.Kind);
        Assert.Equal(2, env.ActionSpace.Count);
        Assert.Equal(4, env.ObservationSize);
    }

    [Theory]
    [InlineData(false, 203, 400)]
    [InlineData(true, 77, 200)]
    public void StepsMatchGymnasiumsEquationsInFloat64StepByStep(bool randomized, int environments, int steps)
    {
        CartPoleOptions options = randomized ? s_randomized : new CartPoleOptions();
        var env = new CartPoleVectorEnvironment(environments, options, CpuAccelerator.Sequential);
        var reference = new CartPoleReference(
            environments, Range(options.MassCart), Range(options.MassPole), Range(options.HalfPoleLength), Range(options.ForceMagnitude),
            options.MaxEpisodeSteps);
        var random = new Random(5);

        StepBufferAssert.Poison(env.Buffers);
        env.Reset(2024);
        StepBufferAssert.Matches(reference.Reset(2024), env.Buffers, 0f, "reset");
        for (int t = 0; t < steps; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(2)).ToArray();
            float[] before = env.Buffers.Observations.ToArray();
            StepBufferAssert.Poison(env.Buffers);
            env.Step(actions);
            // float32 state and vector sin/cos against float64: one step agrees to ~1e-6 relative.
            StepBufferAssert.Matches(reference.Step(actions, before), env.Buffers, 2e-5f, $"step {t}");
        }

        Assert.True(reference.Terminations > 0, "no episode terminated");
        if (randomized)
        {
            Assert.True(reference.Truncations > 0, "no episode was truncated");
        }
    }

    [Fact]
    public void ResetObservationsAfterAutoresetAreExactlyTheDocumentedDraws()
    {
        var env = new CartPoleVectorEnvironment(16, s_randomized, CpuAccelerator.Sequential);
        env.Reset(8);
        var episodes = new uint[16];
        int resets = 0;
        for (int t = 0; t < 100; t++)
        {
            env.Step(Enumerable.Repeat(1, 16).ToArray());
            for (int i = 0; i < 16; i++)
            {
                if (!env.Buffers.Finished[i])
                {
                    continue;
                }

                resets++;
                episodes[i]++;
                var start = ReferenceRandom.Block(8, i, episodes[i], 0);
                float[] expected = [.. new[] { start.X0, start.X1, start.X2, start.X3 }.Select(w => ReferenceRandom.Uniform(w, -0.05f, 0.05f))];
                Assert.Equal(expected, env.Buffers.Observations.AsSpan(i * 4, 4).ToArray());
                // The final observation is the state that ended the episode, not the reset one.
                float[] final = env.Buffers.FinalObservations.AsSpan(i * 4, 4).ToArray();
                Assert.True(env.Buffers.Truncated[i] || Math.Abs(final[0]) > 2.4f || Math.Abs(final[2]) > CartPoleConstants.ThetaThresholdRadians);
                var physics = ReferenceRandom.Block(8, i, episodes[i], 1);
                Assert.Equal(ReferenceRandom.Uniform(physics.X3, 5f, 15f), env.ForceMagnitude[i]);
            }
        }

        Assert.True(resets > 16);
    }

    [Fact]
    public void RandomizedPhysicsStayInTheirRangesDifferAcrossEnvironmentsAndAreRedrawnPerEpisode()
    {
        const int environments = 256;
        var env = new CartPoleVectorEnvironment(environments, s_randomized, CpuAccelerator.Sequential);
        env.Reset(3);
        float[] force = env.ForceMagnitude.ToArray();
        Assert.All(force, f => Assert.InRange(f, 5f, 15f));
        Assert.All(env.MassPole.ToArray(), m => Assert.InRange(m, 0.05f, 0.5f));
        Assert.All(env.HalfPoleLength.ToArray(), l => Assert.InRange(l, 0.25f, 1f));
        Assert.All(env.TotalMass.ToArray(), m => Assert.InRange(m, 0.55f, 2.5f));
        Assert.True(force.Distinct().Count() > environments * 9 / 10);
        Assert.InRange(force.Average(), 9f, 11f);

        for (int t = 0; t < 30; t++)
        {
            env.Step(new int[environments]);
        }

        // MaxEpisodeSteps = 30: every environment has started a new episode with new physics.
        float[] after = env.ForceMagnitude.ToArray();
        Assert.True(Enumerable.Range(0, environments).Count(i => after[i] != force[i]) > environments * 9 / 10);
    }

    [Fact]
    public void ABalancedPoleIsTruncatedAtExactly500Steps()
    {
        const int environments = 8;
        var env = new CartPoleVectorEnvironment(environments, accelerator: CpuAccelerator.Sequential);
        env.Reset(12);
        var actions = new int[environments];
        var length = new int[environments];
        int truncations = 0;
        for (int t = 0; t < 520; t++)
        {
            for (int i = 0; i < environments; i++)
            {
                ReadOnlySpan<float> s = env.Buffers.Observations.AsSpan(i * 4, 4);
                actions[i] = s[2] + 0.5f * s[3] + 0.01f * s[0] + 0.1f * s[1] > 0f ? 1 : 0;
            }

            env.Step(actions);
            for (int i = 0; i < environments; i++)
            {
                length[i]++;
                if (env.Buffers.Finished[i])
                {
                    Assert.True(env.Buffers.Truncated[i], $"env {i} fell after {length[i]} steps");
                    Assert.False(env.Buffers.Terminated[i]);
                    Assert.Equal(500, length[i]);
                    truncations++;
                    length[i] = 0;
                }
            }
        }

        Assert.Equal(environments, truncations);
    }

    [Fact]
    public void OneAndTwoThreadsProduceIdenticalBuffers()
    {
        const int environments = 1001; // a partial last vector group, several chunks
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = new CartPoleVectorEnvironment(environments, s_randomized, one);
        var b = new CartPoleVectorEnvironment(environments, s_randomized, two);
        var random = new Random(6);
        a.Reset(99);
        b.Reset(99);
        StepBufferAssert.Identical(a.Buffers, b.Buffers, "reset");
        for (int t = 0; t < 120; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(2)).ToArray();
            StepBufferAssert.Poison(a.Buffers);
            StepBufferAssert.Poison(b.Buffers);
            a.Step(actions);
            b.Step(actions);
            StepBufferAssert.Identical(a.Buffers, b.Buffers, $"step {t}");
        }
    }

    [Fact]
    public void AnEnvironmentBehavesTheSameInVectorsOfAnySize()
    {
        var small = new CartPoleVectorEnvironment(5, s_randomized, CpuAccelerator.Sequential);
        var large = new CartPoleVectorEnvironment(21, s_randomized, CpuAccelerator.Sequential);
        small.Reset(31);
        large.Reset(31);
        var random = new Random(8);
        for (int t = 0; t < 80; t++)
        {
            int[] actions = Enumerable.Range(0, 21).Select(_ => random.Next(2)).ToArray();
            small.Step(actions.AsSpan(0, 5));
            large.Step(actions);
            Assert.Equal(large.Buffers.Observations.AsSpan(0, 20).ToArray(), small.Buffers.Observations);
            Assert.Equal(large.Buffers.Finished.AsSpan(0, 5).ToArray(), small.Buffers.Finished);
        }
    }

    [Fact]
    public void EachTaskKeepsItsFixedPhysicsThroughAutoresetsAndTaskZeroIsCartPoleV1()
    {
        const int environments = 21;
        var options = new CartPoleOptions { Tasks = CartPoleTaskSuite.Two, MaxEpisodeSteps = 40 };
        var tasks = new CartPoleVectorEnvironment(environments, options, CpuAccelerator.Sequential);
        var plain = new CartPoleVectorEnvironment(environments, new CartPoleOptions { MaxEpisodeSteps = 40 }, CpuAccelerator.Sequential);
        Assert.Equal(2, tasks.TaskCount);
        var random = new Random(4);
        tasks.Reset(6);
        plain.Reset(6);
        Assert.Equal(Enumerable.Range(0, environments).Select(i => i % 2), tasks.Buffers.TaskIds);
        int finished = 0;
        bool differ = false;
        for (int t = 0; t < 200; t++)
        {
            for (int i = 0; i < environments; i++)
            {
                CartPoleTask task = CartPoleTaskSuite.Two[i % 2];
                Assert.Equal(task.HalfPoleLength, tasks.HalfPoleLength[i]);
                Assert.Equal(task.MassPole, tasks.MassPole[i]);
                Assert.Equal(task.MassPole + task.MassCart, tasks.TotalMass[i]);
                Assert.Equal(task.ForceMagnitude, tasks.ForceMagnitude[i]);
                var row = tasks.Buffers.Observations.AsSpan(4 * i, 4).ToArray();
                var reference = plain.Buffers.Observations.AsSpan(4 * i, 4).ToArray();
                if (i % 2 == 0)
                {
                    Assert.Equal(reference, row); // the same draws and CartPole-v1's physics
                }
                else
                {
                    differ |= !row.SequenceEqual(reference);
                }
            }

            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(2)).ToArray();
            tasks.Step(actions);
            plain.Step(actions);
            finished += tasks.Buffers.Finished.Count(f => f);
        }

        Assert.True(finished > environments, $"only {finished} autoresets");
        Assert.True(differ, "the long heavy pole moved like CartPole-v1");
    }

    [Fact]
    public void TasksAreCheckedAndCannotBeCombinedWithRandomizedRanges()
    {
        Assert.Equal("Tasks", Assert.Throws<ArgumentException>(() => new CartPoleVectorEnvironment(2, s_randomized with { Tasks = CartPoleTaskSuite.Two })).ParamName);
        Assert.Equal("Tasks", Assert.Throws<ArgumentException>(() => new CartPoleVectorEnvironment(2, new CartPoleOptions { Tasks = [] })).ParamName);
        var bad = new CartPoleOptions { Tasks = [CartPoleTask.CartPoleV1, CartPoleTask.CartPoleV1 with { HalfPoleLength = 0f }] };
        Assert.Equal("Tasks[1].HalfPoleLength", Assert.Throws<ArgumentOutOfRangeException>(() => new CartPoleVectorEnvironment(2, bad)).ParamName);
        Assert.Equal("taskIds", Assert.Throws<ArgumentOutOfRangeException>(
            () => new CartPoleVectorEnvironment(2, new CartPoleOptions { Tasks = CartPoleTaskSuite.Two }, taskIds: [0, 2])).ParamName);

        var explicitTasks = new CartPoleVectorEnvironment(3, new CartPoleOptions { Tasks = CartPoleTaskSuite.Two }, taskIds: [1, 1, 0]);
        explicitTasks.Reset(0);
        Assert.Equal([1, 1, 0], explicitTasks.Buffers.TaskIds);
        Assert.Equal([1f, 1f, 0.5f], explicitTasks.HalfPoleLength.ToArray());
    }

    private static (float, float) Range(UniformRange range) => (range.Low, range.High);
}
