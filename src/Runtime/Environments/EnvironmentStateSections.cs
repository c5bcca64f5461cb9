using System;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>Which environment saved a state. The numbers are written into checkpoints, so they never change and are never reused.</summary>
internal enum EnvironmentKind
{
    BitFlip = 1,
    CartPole = 2,
    GridWorld = 3,
    PointMass = 4,
}

/// <summary>
/// Writes an environment's state as checkpoint sections named <c>&lt;prefix&gt;&lt;name&gt;</c>: float
/// arrays as float arrays (bit for bit), integer, bit-vector and flag arrays as integer arrays,
/// scalars as counters. The kind is written first (counter <c>&lt;prefix&gt;kind</c>), so
/// <see cref="EnvironmentStateReader"/> can refuse another environment's state by name.
/// </summary>
internal readonly struct EnvironmentStateWriter
{
    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;

    /// <summary>Starts writing the state of a <paramref name="kind"/> environment.</summary>
    public EnvironmentStateWriter(Checkpoint checkpoint, string prefix, EnvironmentKind kind)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(prefix);
        _checkpoint = checkpoint;
        _prefix = prefix;
        Counter(EnvironmentStateReader.KindSection, (long)kind);
    }

    /// <summary>The sizes every environment is checked against: N, observation width, task count.</summary>
    public void Shape(IVectorEnvironment environment)
    {
        Counter("environments", environment.EnvironmentCount);
        Counter("observationSize", environment.ObservationSize);
        Counter("taskCount", environment.TaskCount);
    }

    /// <summary>The seed of the last Reset and whether Reset has been called.</summary>
    public void Progress(ulong seed, bool started)
    {
        Counter("seed", unchecked((long)seed));
        Counter("started", started ? 1 : 0);
    }

    public void Counter(string name, long value) => _checkpoint.Counters[_prefix + name] = value;

    public void Floats(string name, ReadOnlySpan<float> values) => _checkpoint.Arrays[_prefix + name] = values.ToArray();

    public void Integers(string name, ReadOnlySpan<int> values)
    {
        var saved = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            saved[i] = values[i];
        }

        _checkpoint.Integers[_prefix + name] = saved;
    }

    public void Integers(string name, ReadOnlySpan<uint> values)
    {
        var saved = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            saved[i] = values[i];
        }

        _checkpoint.Integers[_prefix + name] = saved;
    }

    /// <summary>64-bit words, stored with their bits unchanged (values above long.MaxValue read as negative).</summary>
    public void Words(string name, ReadOnlySpan<ulong> values)
    {
        var saved = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            saved[i] = unchecked((long)values[i]);
        }

        _checkpoint.Integers[_prefix + name] = saved;
    }

    public void Flags(string name, ReadOnlySpan<bool> values)
    {
        var saved = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            saved[i] = values[i] ? 1 : 0;
        }

        _checkpoint.Integers[_prefix + name] = saved;
    }

    /// <summary>Every step buffer, goal buffers included (empty for environments without goals).</summary>
    public void Buffers(VectorStepBuffers buffers)
    {
        Floats("buffers.observations", buffers.Observations);
        Floats("buffers.finalObservations", buffers.FinalObservations);
        Floats("buffers.rewards", buffers.Rewards);
        Flags("buffers.terminated", buffers.Terminated);
        Flags("buffers.truncated", buffers.Truncated);
        Flags("buffers.finished", buffers.Finished);
        Integers("buffers.taskIds", buffers.TaskIds);
        Floats("buffers.achievedGoals", buffers.AchievedGoals);
        Floats("buffers.desiredGoals", buffers.DesiredGoals);
        Floats("buffers.finalAchievedGoals", buffers.FinalAchievedGoals);
        Floats("buffers.finalDesiredGoals", buffers.FinalDesiredGoals);
    }
}

/// <summary>
/// Reads and checks what <see cref="EnvironmentStateWriter"/> wrote. Every method only reads and
/// validates — kind, sizes, section lengths and value ranges — and returns the saved arrays, so
/// an environment can check its whole state before changing anything: a refused checkpoint
/// leaves the environment as it was. Every failure is a <see cref="CheckpointException"/> naming
/// the section and what differs.
/// </summary>
internal readonly struct EnvironmentStateReader
{
    /// <summary>Name (after the prefix) of the counter holding the <see cref="EnvironmentKind"/>.</summary>
    public const string KindSection = "kind";

    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;

    /// <summary>Starts reading; throws unless the checkpoint holds a <paramref name="kind"/> environment's state under <paramref name="prefix"/>.</summary>
    public EnvironmentStateReader(Checkpoint checkpoint, string prefix, EnvironmentKind kind)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(prefix);
        _checkpoint = checkpoint;
        _prefix = prefix;
        string name = prefix + KindSection;
        if (!checkpoint.Counters.TryGetValue(name, out long saved))
        {
            throw new CheckpointException($"the checkpoint has no counter '{name}': it holds no environment state under the prefix '{prefix}'");
        }

        if (saved != (long)kind)
        {
            string savedKind = saved is >= int.MinValue and <= int.MaxValue && Enum.IsDefined((EnvironmentKind)(int)saved)
                ? $"a {(EnvironmentKind)(int)saved} environment"
                : $"an environment of unknown kind {saved}";
            throw new CheckpointException($"counter '{name}': the checkpoint holds the state of {savedKind}, this is a {kind} environment");
        }
    }

    /// <summary>Throws unless N, the observation width and the task count are the saved ones.</summary>
    public void RequireShape(IVectorEnvironment environment)
    {
        RequireSize("environments", "environment count", environment.EnvironmentCount);
        RequireSize("observationSize", "observation size", environment.ObservationSize);
        RequireSize("taskCount", "task count", environment.TaskCount);
    }

    /// <summary>Throws unless the saved counter <paramref name="name"/> equals <paramref name="actual"/>.</summary>
    /// <param name="name">Counter name after the prefix.</param>
    /// <param name="what">What the counter is, for the message ("environment count").</param>
    /// <param name="actual">This environment's value.</param>
    public void RequireSize(string name, string what, long actual)
    {
        long saved = _checkpoint.Counter(_prefix + name);
        if (saved != actual)
        {
            throw new CheckpointException($"counter '{_prefix}{name}': the checkpoint's {what} is {saved}, this environment's is {actual}");
        }
    }

    /// <summary>
    /// Throws unless every environment runs the task it ran when saved: the assignment is a
    /// construction argument, not restored, so a resumed run must build the environment with the
    /// same task ids.
    /// </summary>
    public void RequireTaskAssignment(ReadOnlySpan<int> taskIds, int taskCount)
    {
        string name = "taskAssignment";
        long[] saved = Integers(name, taskIds.Length, 0, taskCount - 1);
        for (int i = 0; i < taskIds.Length; i++)
        {
            if (saved[i] != taskIds[i])
            {
                throw new CheckpointException(
                    $"section '{_prefix}{name}': environment {i} ran task {saved[i]} in the checkpoint, this environment runs task {taskIds[i]}; build it with the saved run's task ids");
            }
        }
    }

    /// <summary>The seed of the last Reset and whether Reset had been called.</summary>
    public (ulong Seed, bool Started) Progress()
    {
        ulong seed = unchecked((ulong)_checkpoint.Counter(_prefix + "seed"));
        string started = _prefix + "started";
        long flag = _checkpoint.Counter(started);
        if (flag is not (0 or 1))
        {
            throw new CheckpointException($"counter '{started}' is {flag}; expected 0 or 1");
        }

        return (seed, flag == 1);
    }

    /// <summary>The saved float array <paramref name="name"/>, which must hold exactly <paramref name="length"/> values.</summary>
    public float[] Floats(string name, int length)
    {
        string full = _prefix + name;
        if (!_checkpoint.Arrays.TryGetValue(full, out float[]? values))
        {
            throw new CheckpointException($"the checkpoint has no '{full}' section");
        }

        if (values.Length != length)
        {
            throw new CheckpointException($"section '{full}' holds {values.Length} values, expected {length}");
        }

        return values;
    }

    /// <summary>The saved integer array <paramref name="name"/>: exactly <paramref name="length"/> values, each in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long[] Integers(string name, int length, long min, long max)
    {
        long[] values = _checkpoint.RequireIntegers(_prefix + name, length);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
            {
                throw new CheckpointException($"section '{_prefix}{name}' holds {values[i]} at index {i}, outside [{min}, {max}]");
            }
        }

        return values;
    }

    /// <summary>The saved 64-bit words <paramref name="name"/>, each using only its low <paramref name="bits"/> bits.</summary>
    public long[] Words(string name, int length, int bits)
    {
        long[] values = _checkpoint.RequireIntegers(_prefix + name, length);
        ulong unused = bits >= 64 ? 0 : ~((1UL << bits) - 1);
        for (int i = 0; i < values.Length; i++)
        {
            if ((unchecked((ulong)values[i]) & unused) != 0)
            {
                throw new CheckpointException($"section '{_prefix}{name}' holds 0x{values[i]:x16} at index {i}, which sets bits beyond the first {bits}");
            }
        }

        return values;
    }

    /// <summary>The saved flag array <paramref name="name"/> (0 or 1 each).</summary>
    public long[] Flags(string name, int length) => Integers(name, length, 0, 1);

    /// <summary>Every step buffer, checked against the shapes of <paramref name="buffers"/> and task ids against [0, <paramref name="taskCount"/>).</summary>
    public SavedStepBuffers Buffers(VectorStepBuffers buffers, int taskCount)
    {
        int n = buffers.EnvironmentCount;
        return new SavedStepBuffers(
            Floats("buffers.observations", buffers.Observations.Length),
            Floats("buffers.finalObservations", buffers.FinalObservations.Length),
            Floats("buffers.rewards", n),
            Flags("buffers.terminated", n),
            Flags("buffers.truncated", n),
            Flags("buffers.finished", n),
            Integers("buffers.taskIds", n, 0, taskCount - 1),
            Floats("buffers.achievedGoals", buffers.AchievedGoals.Length),
            Floats("buffers.desiredGoals", buffers.DesiredGoals.Length),
            Floats("buffers.finalAchievedGoals", buffers.FinalAchievedGoals.Length),
            Floats("buffers.finalDesiredGoals", buffers.FinalDesiredGoals.Length));
    }

    /// <summary>Copies checked values into an int array.</summary>
    public static void Copy(long[] source, Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (int)source[i];
        }
    }

    /// <summary>Copies checked values into a uint array.</summary>
    public static void Copy(long[] source, Span<uint> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (uint)source[i];
        }
    }

    /// <summary>Copies saved words into a ulong array, bits unchanged.</summary>
    public static void Copy(long[] source, Span<ulong> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = unchecked((ulong)source[i]);
        }
    }

    /// <summary>Copies checked 0/1 values into a flag array.</summary>
    public static void Copy(long[] source, Span<bool> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source[i] != 0;
        }
    }
}

/// <summary>Saved step buffers, already checked; <see cref="CopyTo"/> writes them into an environment's buffers.</summary>
internal sealed class SavedStepBuffers(
    float[] observations, float[] finalObservations, float[] rewards, long[] terminated, long[] truncated, long[] finished,
    long[] taskIds, float[] achievedGoals, float[] desiredGoals, float[] finalAchievedGoals, float[] finalDesiredGoals)
{
    public void CopyTo(VectorStepBuffers buffers)
    {
        observations.CopyTo(buffers.Observations, 0);
        finalObservations.CopyTo(buffers.FinalObservations, 0);
        rewards.CopyTo(buffers.Rewards, 0);
        EnvironmentStateReader.Copy(terminated, buffers.Terminated);
        EnvironmentStateReader.Copy(truncated, buffers.Truncated);
        EnvironmentStateReader.Copy(finished, buffers.Finished);
        EnvironmentStateReader.Copy(taskIds, buffers.TaskIds);
        achievedGoals.CopyTo(buffers.AchievedGoals, 0);
        desiredGoals.CopyTo(buffers.DesiredGoals, 0);
        finalAchievedGoals.CopyTo(buffers.FinalAchievedGoals, 0);
        finalDesiredGoals.CopyTo(buffers.FinalDesiredGoals, 0);
    }
}
