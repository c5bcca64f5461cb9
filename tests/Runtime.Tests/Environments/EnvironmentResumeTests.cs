using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// Save and restore of vectorized environment state: an environment restored from a checkpoint
/// (in memory and through a file) steps bit for bit as the saved one, across episode ends, and a
/// checkpoint of another kind, count or size is refused by name.
/// </summary>
public sealed class EnvironmentResumeTests : IDisposable
{
    private const string Prefix = "env.";
    private const ulong Seed = 20261203;

    // 13 environments: not a multiple of CartPole's eight lanes, so the partial group is covered.
    private const int Count = 13;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-env-resume-" + Guid.NewGuid().ToString("N"));

    public EnvironmentResumeTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Each configuration with the steps before the save (k) and after it (m); both span several
    /// episode lengths, so environments have ended and restarted episodes before the save and do
    /// so again after it.
    /// </summary>
    private static readonly Dictionary<string, (Func<IVectorEnvironment> Create, int Before, int After)> s_configurations = new()
    {
        ["bitflip"] = (() => new BitFlipVectorEnvironment(Count, 6), 15, 20),
        ["bitflip-64"] = (() => new BitFlipVectorEnvironment(Count, 64, maxEpisodeSteps: 5), 12, 12),
        ["cartpole"] = (() => new CartPoleVectorEnvironment(Count, new CartPoleOptions { MaxEpisodeSteps = 30 }), 70, 80),
        ["cartpole-randomized"] = (() => new CartPoleVectorEnvironment(Count, new CartPoleOptions
        {
            MaxEpisodeSteps = 25,
            MassCart = new UniformRange(0.5f, 2f),
            MassPole = new UniformRange(0.05f, 0.5f),
            HalfPoleLength = new UniformRange(0.25f, 1f),
            ForceMagnitude = new UniformRange(5f, 15f),
        }), 60, 70),
        ["cartpole-tasks"] = (() => new CartPoleVectorEnvironment(
            Count, new CartPoleOptions { Tasks = CartPoleTaskSuite.Two, MaxEpisodeSteps = 30 }, taskIds: Enumerable.Range(0, Count).Select(i => i / 7).ToArray()), 70, 80),
        ["pointmass-dense"] = (() => new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 12, GoalInObservation = true }), 30, 40),
        ["pointmass-goal-sparse"] = (() => new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 12, SparseReward = true, SuccessRadius = 0.3f }), 30, 40),
        ["gridworld"] = (() => new GridWorldVectorEnvironment(Count, new GridWorldOptions { MaxEpisodeSteps = 15, StepCost = 0.01f }), 40, 50),
        ["gridworld-coordinates"] = (() => new GridWorldVectorEnvironment(Count, new GridWorldOptions { MaxEpisodeSteps = 9, Observation = GridObservationKind.Coordinates }), 25, 30),
        ["observation-only"] = (() => new ObservationOnlyVectorEnvironment(new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 10, GoalInObservation = true })), 25, 30),
    };

    public static TheoryData<string> Configurations => new(s_configurations.Keys);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RestoredEnvironmentStepsBitForBitAsTheSavedOne(string configuration)
    {
        var (create, before, after) = s_configurations[configuration];
        IVectorEnvironment saved = create();
        saved.Reset(Seed);
        int finishedBefore = 0;
        for (int t = 0; t < before; t++)
        {
            Step(saved, t);
            finishedBefore += saved.Buffers.Finished.Count(f => f);
        }

        // Save right after a step in which an environment was truncated, so the saved flags are
        // not all clear (a restore that dropped them would go unnoticed).
        int extra = 0;
        while (!saved.Buffers.Truncated.Any(f => f) && extra < 200)
        {
            Step(saved, before + extra);
            finishedBefore += saved.Buffers.Finished.Count(f => f);
            extra++;
        }

        Assert.True(extra < 200, $"{configuration}: no step with a truncation within {before + 200} steps");
        before += extra;

        // Episodes must have ended (and restarted) before the save, or the counters saved would be trivial.
        Assert.True(finishedBefore >= Count, $"{configuration}: only {finishedBefore} episodes ended in the first {before} steps");

        var checkpoint = new Checkpoint(layoutHash: 0);
        ((IResumableEnvironment)saved).SaveState(checkpoint, Prefix);
        string path = Path.Combine(_directory, configuration + ".ckpt");
        CheckpointFile.Save(path, checkpoint);
        Checkpoint loaded = CheckpointFile.Load(path);

        // From the file into a fresh environment that is never Reset; from memory into one that
        // has been stepped with another seed, whose state must be overwritten completely.
        IVectorEnvironment fromFile = create();
        ((IResumableEnvironment)fromFile).RestoreState(loaded, Prefix);
        IVectorEnvironment fromMemory = create();
        fromMemory.Reset(Seed + 99);
        for (int t = 0; t < 7; t++)
        {
            Step(fromMemory, 1000 + t);
        }

        // Values no step writes (NaN, set flags): whatever the restore leaves out shows.
        StepBufferAssert.Poison(fromMemory.Buffers);
        ((IResumableEnvironment)fromMemory).RestoreState(checkpoint, Prefix);
        Assert.Equal(saved.Seed, fromFile.Seed);
        Assert.Equal(saved.Seed, fromMemory.Seed);
        StepBufferAssert.Identical(saved.Buffers, fromFile.Buffers, $"{configuration}, restored from file");
        StepBufferAssert.Identical(saved.Buffers, fromMemory.Buffers, $"{configuration}, restored from memory");

        int finishedAfter = 0;
        for (int t = before; t < before + after; t++)
        {
            Step(saved, t);
            Step(fromFile, t);
            Step(fromMemory, t);
            StepBufferAssert.Identical(saved.Buffers, fromFile.Buffers, $"{configuration}, step {t} (from file)");
            StepBufferAssert.Identical(saved.Buffers, fromMemory.Buffers, $"{configuration}, step {t} (from memory)");
            finishedAfter += saved.Buffers.Finished.Count(f => f);
        }

        Assert.True(finishedAfter >= Count, $"{configuration}: only {finishedAfter} episodes ended in the {after} steps after the restore");
    }

    [Fact]
    public void SavedStateHasTheKindAndEveryStepBuffer()
    {
        var environment = new PointMassVectorEnvironment(Count);
        environment.Reset(Seed);
        var checkpoint = new Checkpoint(0);
        environment.SaveState(checkpoint, Prefix);

        Assert.True(checkpoint.Counters.ContainsKey(Prefix + "kind"));
        Assert.Equal(Count, checkpoint.Counter(Prefix + "environments"));
        Assert.Equal(unchecked((long)Seed), checkpoint.Counter(Prefix + "seed"));
        Assert.Equal(1, checkpoint.Counter(Prefix + "started"));
        foreach (string buffer in new[] { "observations", "finalObservations", "rewards", "achievedGoals", "desiredGoals", "finalAchievedGoals", "finalDesiredGoals" })
        {
            Assert.True(checkpoint.Arrays.ContainsKey(Prefix + "buffers." + buffer), buffer);
        }

        foreach (string buffer in new[] { "terminated", "truncated", "finished", "taskIds" })
        {
            Assert.True(checkpoint.Integers.ContainsKey(Prefix + "buffers." + buffer), buffer);
        }

        Assert.All(checkpoint.Arrays.Keys.Concat(checkpoint.Counters.Keys).Concat(checkpoint.Integers.Keys), name => Assert.StartsWith(Prefix, name));
    }

    [Fact]
    public void EnvironmentsUnderDifferentPrefixesShareACheckpoint()
    {
        var cartPole = new CartPoleVectorEnvironment(Count, new CartPoleOptions { MaxEpisodeSteps = 20 });
        var gridWorld = new GridWorldVectorEnvironment(Count, new GridWorldOptions { MaxEpisodeSteps = 10 });
        cartPole.Reset(1);
        gridWorld.Reset(2);
        for (int t = 0; t < 30; t++)
        {
            Step(cartPole, t);
            Step(gridWorld, t);
        }

        var checkpoint = new Checkpoint(0);
        cartPole.SaveState(checkpoint, "train.");
        gridWorld.SaveState(checkpoint, "eval.");
        var restoredCartPole = new CartPoleVectorEnvironment(Count, new CartPoleOptions { MaxEpisodeSteps = 20 });
        var restoredGridWorld = new GridWorldVectorEnvironment(Count, new GridWorldOptions { MaxEpisodeSteps = 10 });
        restoredCartPole.RestoreState(checkpoint, "train.");
        restoredGridWorld.RestoreState(checkpoint, "eval.");
        for (int t = 30; t < 60; t++)
        {
            Step(cartPole, t);
            Step(gridWorld, t);
            Step(restoredCartPole, t);
            Step(restoredGridWorld, t);
            StepBufferAssert.Identical(cartPole.Buffers, restoredCartPole.Buffers, $"cartpole step {t}");
            StepBufferAssert.Identical(gridWorld.Buffers, restoredGridWorld.Buffers, $"gridworld step {t}");
        }
    }

    [Fact]
    public void StateSavedBeforeResetRestoresAnEnvironmentThatStillNeedsReset()
    {
        var checkpoint = new Checkpoint(0);
        new BitFlipVectorEnvironment(Count, 8).SaveState(checkpoint, Prefix);
        var restored = new BitFlipVectorEnvironment(Count, 8);
        restored.Reset(Seed);
        restored.RestoreState(checkpoint, Prefix);

        var exception = Assert.Throws<InvalidOperationException>(() => restored.Step(new int[Count]));
        Assert.Contains("Reset", exception.Message);
    }

    [Theory]
    [InlineData("kind", "BitFlip", "CartPole")]
    [InlineData("environments", "13", "12")]
    [InlineData("observationSize", "169", "2")]
    [InlineData("bits", "6", "7")]
    [InlineData("taskCount", "10", "3")]
    [InlineData("taskAssignment", "environment 0", "task")]
    [InlineData("maxEpisodeSteps", "30", "31")]
    [InlineData("width", "13", "5")]
    public void CheckpointOfAnotherEnvironmentIsRefusedByName(string section, string saved, string actual)
    {
        var (source, target) = section switch
        {
            "kind" => (Started(new BitFlipVectorEnvironment(Count, 6)), (IResumableEnvironment)new CartPoleVectorEnvironment(Count)),
            "environments" => (Started(new CartPoleVectorEnvironment(Count)), new CartPoleVectorEnvironment(Count - 1)),
            "observationSize" => (Started(new GridWorldVectorEnvironment(Count)), new GridWorldVectorEnvironment(Count, new GridWorldOptions { Observation = GridObservationKind.Coordinates })),
            "bits" => (Started(new BitFlipVectorEnvironment(Count, 6)), new BitFlipVectorEnvironment(Count, 7)),
            "taskCount" => (Started(new PointMassVectorEnvironment(Count)), new PointMassVectorEnvironment(Count, new PointMassOptions { Tasks = PointMassTaskSuite.Ten.Take(3).ToArray() })),
            "taskAssignment" => (Started(new PointMassVectorEnvironment(Count)), new PointMassVectorEnvironment(Count, taskIds: Enumerable.Range(0, Count).Select(i => (i + 1) % 10).ToArray())),
            "maxEpisodeSteps" => (Started(new CartPoleVectorEnvironment(Count, new CartPoleOptions { MaxEpisodeSteps = 30 })), new CartPoleVectorEnvironment(Count, new CartPoleOptions { MaxEpisodeSteps = 31 })),
            "width" => (Started(new GridWorldVectorEnvironment(Count)), new GridWorldVectorEnvironment(Count, new GridWorldOptions { Layout = SmallLayout(), Observation = GridObservationKind.Coordinates })),
            _ => throw new ArgumentOutOfRangeException(nameof(section)),
        };
        var checkpoint = new Checkpoint(0);
        source.SaveState(checkpoint, Prefix);

        var exception = Assert.Throws<CheckpointException>(() => target.RestoreState(checkpoint, Prefix));
        Assert.Contains($"'{Prefix}{section}'", exception.Message);
        Assert.Contains(saved, exception.Message);
        Assert.Contains(actual, exception.Message);
    }

    [Fact]
    public void CheckpointWithoutStateUnderThePrefixIsRefused()
    {
        var checkpoint = new Checkpoint(0);
        Started(new GridWorldVectorEnvironment(Count)).SaveState(checkpoint, "train.");

        var exception = Assert.Throws<CheckpointException>(() => new GridWorldVectorEnvironment(Count).RestoreState(checkpoint, "eval."));
        Assert.Contains("'eval.kind'", exception.Message);
    }

    [Theory]
    [InlineData("steps", "missing")]
    [InlineData("buffers.finalDesiredGoals", "missing")]
    [InlineData("steps", "negative")]
    [InlineData("episodes", "too long")]
    [InlineData("buffers.taskIds", "out of range")]
    [InlineData("buffers.finished", "not a flag")]
    public void RefusedRestoreLeavesTheEnvironmentAsItWas(string section, string damage)
    {
        var source = new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 10 });
        source.Reset(Seed);
        for (int t = 0; t < 25; t++)
        {
            Step(source, t);
        }

        var checkpoint = new Checkpoint(0);
        source.SaveState(checkpoint, Prefix);
        string name = Prefix + section;
        switch (damage)
        {
            case "missing":
                Assert.True(checkpoint.Integers.Remove(name) || checkpoint.Arrays.Remove(name));
                break;
            case "negative":
                checkpoint.Integers[name][3] = -1;
                break;
            case "too long":
                checkpoint.Integers[name] = new long[Count + 1];
                break;
            case "out of range":
                checkpoint.Integers[name][5] = 10;
                break;
            case "not a flag":
                checkpoint.Integers[name][0] = 2;
                break;
        }

        // Two twins stepped alike; the restore into one of them fails and must change nothing.
        var target = new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 10 });
        var twin = new PointMassVectorEnvironment(Count, new PointMassOptions { MaxEpisodeSteps = 10 });
        target.Reset(Seed + 1);
        twin.Reset(Seed + 1);
        for (int t = 0; t < 5; t++)
        {
            Step(target, t);
            Step(twin, t);
        }

        var exception = Assert.Throws<CheckpointException>(() => target.RestoreState(checkpoint, Prefix));
        Assert.Contains($"'{name}'", exception.Message);
        for (int t = 5; t < 30; t++)
        {
            Step(target, t);
            Step(twin, t);
            StepBufferAssert.Identical(twin.Buffers, target.Buffers, $"step {t} after a refused restore");
        }
    }

    [Fact]
    public void ObservationOnlyViewSavesWhatTheBareEnvironmentSaves()
    {
        var options = new PointMassOptions { MaxEpisodeSteps = 10, GoalInObservation = true };
        var bare = new PointMassVectorEnvironment(Count, options);
        bare.Reset(Seed);
        for (int t = 0; t < 25; t++)
        {
            Step(bare, t);
        }

        var checkpoint = new Checkpoint(0);
        bare.SaveState(checkpoint, Prefix);
        var view = new ObservationOnlyVectorEnvironment(new PointMassVectorEnvironment(Count, options));
        Assert.True(view.IsResumable);
        view.RestoreState(checkpoint, Prefix);
        for (int t = 25; t < 50; t++)
        {
            Step(bare, t);
            Step(view, t);
            StepBufferAssert.Identical(bare.Buffers, view.Buffers, $"step {t}");
        }
    }

    [Fact]
    public void ObservationOnlyViewOfANonResumableEnvironmentSaysSo()
    {
        var view = new ObservationOnlyVectorEnvironment(new NotResumable());
        Assert.False(view.IsResumable);

        var save = Assert.Throws<NotSupportedException>(() => view.SaveState(new Checkpoint(0), Prefix));
        Assert.Contains(nameof(NotResumable), save.Message);
        Assert.Contains(nameof(IResumableEnvironment), save.Message);
        Assert.Throws<NotSupportedException>(() => view.RestoreState(new Checkpoint(0), Prefix));
    }

    private static IResumableEnvironment Started(IVectorEnvironment environment)
    {
        environment.Reset(Seed);
        Step(environment, 0);
        return (IResumableEnvironment)environment;
    }

    /// <summary>A 5 × 5 map with the four-room map's task count, so only the map size differs.</summary>
    private static GridWorldLayout SmallLayout() => new(
        ["#####", "#...#", "#...#", "#...#", "#####"],
        [new GridCell(1, 1), new GridCell(1, 3), new GridCell(3, 1), new GridCell(3, 3)]);

    /// <summary>Steps with actions that depend only on (t, environment), so every copy gets the same ones.</summary>
    private static void Step(IVectorEnvironment environment, int t)
    {
        int n = environment.EnvironmentCount;
        switch (environment)
        {
            case IDiscreteVectorEnvironment discrete:
                var actions = new int[n];
                for (int i = 0; i < n; i++)
                {
                    actions[i] = (int)(Mix(t, i, 0) % (uint)discrete.ActionSpace.Count);
                }

                discrete.Step(actions);
                break;
            case IContinuousVectorEnvironment continuous:
                int d = continuous.ActionSpace.Dimensions;
                var forces = new float[n * d];
                for (int i = 0; i < n * d; i++)
                {
                    // [−1.25, 1.25): some components are clipped.
                    forces[i] = (Mix(t, i / d, i % d) >> 8) * (2.5f / (1 << 24)) - 1.25f;
                }

                continuous.Step(forces);
                break;
            default:
                throw new ArgumentException($"{environment.GetType().Name} is neither discrete nor continuous", nameof(environment));
        }
    }

    private static uint Mix(int t, int environment, int component)
    {
        ulong z = ((ulong)(uint)t << 32) ^ ((ulong)(uint)environment << 8) ^ (uint)component;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return (uint)((z ^ (z >> 31)) >> 32);
    }

    /// <summary>A continuous environment without saved state.</summary>
    private sealed class NotResumable : IContinuousVectorEnvironment
    {
        public int EnvironmentCount => 1;

        public int ObservationSize => 1;

        public ActionSpace ActionSpace { get; } = ActionSpace.Continuous(1, -1f, 1f);

        public int TaskCount => 1;

        public VectorStepBuffers Buffers { get; } = new(1, 1);

        public ulong Seed { get; private set; }

        public void Reset(ulong seed) => Seed = seed;

        public void Step(ReadOnlySpan<float> actions)
        {
        }
    }
}
