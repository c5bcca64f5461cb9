using System;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

public sealed class GridWorldEnvironmentTests
{
    [Theory]
    [InlineData(GridObservationKind.OneHot, 0f)]
    [InlineData(GridObservationKind.Coordinates, 0.01f)]
    public void StepsMatchTheScalarReferenceThroughAutoresets(GridObservationKind observation, float stepCost)
    {
        const int environments = 29;
        var options = new GridWorldOptions { Observation = observation, StepCost = stepCost, MaxEpisodeSteps = 60 };
        var env = new GridWorldVectorEnvironment(environments, options, accelerator: CpuAccelerator.Sequential);
        var reference = new GridWorldReference(environments, options, env.Buffers.TaskIds.ToArray());
        var random = new Random(19);

        StepBufferAssert.Poison(env.Buffers);
        env.Reset(7);
        StepBufferAssert.Matches(reference.Reset(7), env.Buffers, 0f, "reset");
        Assert.Equal(Enumerable.Range(0, environments).Select(i => i % 4), env.Buffers.TaskIds);
        for (int t = 0; t < 400; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(4)).ToArray();
            StepBufferAssert.Poison(env.Buffers);
            env.Step(actions);
            StepBufferAssert.Matches(reference.Step(actions), env.Buffers, 0f, $"step {t}");
        }

        Assert.True(reference.Successes > 0, "no environment reached its goal");
        Assert.True(reference.Truncations > 0, "no episode was truncated");
    }

    [Fact]
    public void WallsBlockMovesAndTheGoalTerminates()
    {
        // One free corridor cell above the goal: every move but "down" hits a wall.
        var layout = new GridWorldLayout(["###", "#.#", "#.#", "###"], [new GridCell(2, 1)]);
        var options = new GridWorldOptions { Layout = layout, Observation = GridObservationKind.Coordinates, StepCost = 0.1f };
        var env = new GridWorldVectorEnvironment(1, options, accelerator: CpuAccelerator.Sequential);
        env.Reset(0);
        Assert.Equal(1 * 3 + 1, env.Cells[0]);
        foreach (int blocked in new[] { GridWorldRules.Up, GridWorldRules.Left, GridWorldRules.Right })
        {
            env.Step([blocked]);
            Assert.Equal(4, env.Cells[0]);
            Assert.Equal([1f / 3f, 0.5f], env.Buffers.Observations);
            Assert.Equal(-0.1f, env.Buffers.Rewards[0]);
            Assert.False(env.Buffers.Finished[0]);
        }

        env.Step([GridWorldRules.Down]);
        Assert.True(env.Buffers.Terminated[0]);
        Assert.False(env.Buffers.Truncated[0]);
        Assert.Equal(1f, env.Buffers.Rewards[0]);
        Assert.Equal([2f / 3f, 0.5f], env.Buffers.FinalObservations);
        Assert.Equal([1f / 3f, 0.5f], env.Buffers.Observations); // autoreset to the only start cell
    }

    [Fact]
    public void TheAgentNeverEntersAWallAndMovesAtMostOneCell()
    {
        const int environments = 64;
        var env = new GridWorldVectorEnvironment(environments, accelerator: CpuAccelerator.Sequential);
        GridWorldLayout layout = env.Layout;
        var random = new Random(23);
        env.Reset(5);
        int blockedMoves = 0;
        for (int t = 0; t < 300; t++)
        {
            int[] before = env.Cells.ToArray();
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(4)).ToArray();
            env.Step(actions);
            for (int i = 0; i < environments; i++)
            {
                int cell = env.Buffers.Finished[i] ? ArgMax(env.Buffers.FinalObservations.AsSpan(i * 169, 169)) : env.Cells[i];
                (int r, int c) = Math.DivRem(cell, layout.Width);
                (int r0, int c0) = Math.DivRem(before[i], layout.Width);
                Assert.False(layout.IsWall(r, c));
                Assert.True(Math.Abs(r - r0) + Math.Abs(c - c0) <= 1);
                blockedMoves += cell == before[i] ? 1 : 0;
                Assert.False(layout.IsWall(env.Cells[i] / layout.Width, env.Cells[i] % layout.Width));
            }
        }

        Assert.True(blockedMoves > 0);
    }

    [Fact]
    public void FourRoomsHasFourTasksWithGoalsInDifferentRooms()
    {
        GridWorldLayout layout = GridWorldLayout.FourRooms();
        Assert.Equal(13, layout.Width);
        Assert.Equal(13, layout.Height);
        Assert.Equal(4, layout.TaskGoals.Count);
        Assert.Equal(4, layout.TaskGoals.Distinct().Count());
        Assert.All(layout.TaskGoals, g => Assert.False(layout.IsWall(g.Row, g.Column)));
        Assert.Equal(104, Enumerable.Range(0, 169).Count(c => !layout.IsWall(c / 13, c % 13)));
        var env = new GridWorldVectorEnvironment(4, new GridWorldOptions { Layout = layout });
        Assert.Equal(169, env.ObservationSize);
        Assert.Equal(4, env.TaskCount);
    }

    [Fact]
    public void OneAndTwoThreadsProduceIdenticalBuffers()
    {
        const int environments = 3000;
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var options = new GridWorldOptions { Observation = GridObservationKind.Coordinates, MaxEpisodeSteps = 40 };
        var a = new GridWorldVectorEnvironment(environments, options, accelerator: one);
        var b = new GridWorldVectorEnvironment(environments, options, accelerator: two);
        var random = new Random(29);
        a.Reset(15);
        b.Reset(15);
        StepBufferAssert.Identical(a.Buffers, b.Buffers, "reset");
        for (int t = 0; t < 100; t++)
        {
            int[] actions = Enumerable.Range(0, environments).Select(_ => random.Next(4)).ToArray();
            StepBufferAssert.Poison(a.Buffers);
            StepBufferAssert.Poison(b.Buffers);
            a.Step(actions);
            b.Step(actions);
            StepBufferAssert.Identical(a.Buffers, b.Buffers, $"step {t}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }
}
