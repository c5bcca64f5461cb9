using System;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// N BitFlip(n) environments (Andrychowicz et al. 2017, HER's motivating example): the state
/// and the goal are n random bits; action i flips bit i; the reward is 0 when the state equals
/// the goal and −1 otherwise; an episode terminates on success and is truncated after
/// <see cref="MaxEpisodeSteps"/> steps (n by default). Rewards are so sparse that plain DQN
/// fails beyond n ≈ 15 while HER succeeds, which makes it the standard HER test bed.
/// </summary>
/// <remarks>
/// Observation = the state bits as 0f/1f (width n); achieved goal = the state; desired goal =
/// the goal. Same-step autoreset (see <see cref="VectorStepBuffers"/>). Episode k of
/// environment i draws its start state and goal from Philox block (seed, i, k·2^32); see
/// <see cref="BitFlipRules"/>.
/// </remarks>
public sealed class BitFlipVectorEnvironment : IDiscreteVectorEnvironment, IGoalVectorEnvironment, IResumableEnvironment
{
    private const int EnvironmentGrain = 256;
    private const int GoalRowGrain = 1024;

    private readonly Accelerator _accelerator;
    private readonly ulong[] _states;
    private readonly ulong[] _goals;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private bool _started;

    /// <summary>Creates N environments of n bits; call <see cref="Reset"/> before stepping.</summary>
    /// <param name="environmentCount">N, at least 1.</param>
    /// <param name="bits">n, in [1, 64].</param>
    /// <param name="maxEpisodeSteps">Time limit, at least 1; null uses n (as in the HER paper).</param>
    /// <param name="accelerator">Where kernels run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public BitFlipVectorEnvironment(int environmentCount, int bits, int? maxEpisodeSteps = null, Accelerator? accelerator = null)
    {
        EnvironmentArguments.CheckEnvironmentCount(environmentCount);
        if (bits < 1 || bits > BitFlipRules.MaxBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"must be in [1, {BitFlipRules.MaxBits}]");
        }

        int limit = maxEpisodeSteps ?? bits;
        if (limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxEpisodeSteps), maxEpisodeSteps, "must be at least 1");
        }

        Bits = bits;
        MaxEpisodeSteps = limit;
        ActionSpace = ActionSpace.Discrete(bits);
        Buffers = new VectorStepBuffers(environmentCount, bits, bits);
        _accelerator = accelerator ?? CpuAccelerator.Default;
        _states = new ulong[environmentCount];
        _goals = new ulong[environmentCount];
        _steps = new int[environmentCount];
        _episodes = new uint[environmentCount];
    }

    /// <summary>n, the number of bits of state and goal.</summary>
    public int Bits { get; }

    /// <summary>Steps after which an episode is truncated.</summary>
    public int MaxEpisodeSteps { get; }

    /// <inheritdoc />
    public int EnvironmentCount => Buffers.EnvironmentCount;

    /// <inheritdoc />
    public int ObservationSize => Bits;

    /// <inheritdoc />
    public int GoalSize => Bits;

    /// <inheritdoc />
    public ActionSpace ActionSpace { get; }

    /// <inheritdoc />
    public int TaskCount => 1;

    /// <inheritdoc />
    public VectorStepBuffers Buffers { get; }

    /// <inheritdoc />
    public ulong Seed { get; private set; }

    /// <inheritdoc />
    public void Reset(ulong seed)
    {
        Seed = seed;
        var kernel = new BitFlipResetKernel(State(), Buffers.StepOutputs(), Buffers.GoalOutputs(), Bits, seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
        Array.Clear(Buffers.TaskIds);
        _started = true;
    }

    /// <inheritdoc />
    public void Step(ReadOnlySpan<int> actions)
    {
        EnvironmentArguments.CheckStarted(_started, nameof(BitFlipVectorEnvironment));
        EnvironmentArguments.CheckDiscreteActions(actions, EnvironmentCount, Bits);
        var kernel = new BitFlipStepKernel(State(), actions, Buffers.StepOutputs(), Buffers.GoalOutputs(), Bits, MaxEpisodeSteps, Seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
    }

    /// <summary>Reward 0 where the achieved row equals the desired row element for element, −1 elsewhere.</summary>
    /// <inheritdoc />
    public void ComputeReward(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<float> rewards)
    {
        int rows = EnvironmentArguments.CheckGoalBatch(achievedGoals, desiredGoals, rewards.Length, Bits, nameof(rewards));
        var kernel = new BitFlipGoalRewardKernel(achievedGoals, desiredGoals, Bits, rewards, default);
        _accelerator.LaunchChunked(rows, GoalRowGrain, in kernel);
    }

    /// <summary>True where the achieved row equals the desired row (BitFlip terminates on success).</summary>
    /// <inheritdoc />
    public void ComputeTerminated(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<bool> terminated)
    {
        int rows = EnvironmentArguments.CheckGoalBatch(achievedGoals, desiredGoals, terminated.Length, Bits, nameof(terminated));
        var kernel = new BitFlipGoalRewardKernel(achievedGoals, desiredGoals, Bits, default, terminated);
        _accelerator.LaunchChunked(rows, GoalRowGrain, in kernel);
    }

    /// <summary>
    /// Saves the kind, N, n, the time limit, the seed and started flag, each environment's state
    /// and goal bits, step and episode counters, and every step buffer.
    /// </summary>
    /// <inheritdoc />
    public void SaveState(Checkpoint checkpoint, string prefix)
    {
        var writer = new EnvironmentStateWriter(checkpoint, prefix, EnvironmentKind.BitFlip);
        writer.Shape(this);
        writer.Counter("bits", Bits);
        writer.Counter("maxEpisodeSteps", MaxEpisodeSteps);
        writer.Progress(Seed, _started);
        writer.Words("states", _states);
        writer.Words("goals", _goals);
        writer.Integers("steps", _steps);
        writer.Integers("episodes", _episodes);
        writer.Buffers(Buffers);
    }

    /// <summary>Also refuses a checkpoint saved with another bit count or time limit; nothing changes unless the whole state is valid.</summary>
    /// <inheritdoc />
    public void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var reader = new EnvironmentStateReader(checkpoint, prefix, EnvironmentKind.BitFlip);
        reader.RequireSize("bits", "bit count", Bits);
        reader.RequireShape(this);
        reader.RequireSize("maxEpisodeSteps", "time limit (MaxEpisodeSteps)", MaxEpisodeSteps);
        int n = EnvironmentCount;
        var (seed, started) = reader.Progress();
        long[] states = reader.Words("states", n, Bits);
        long[] goals = reader.Words("goals", n, Bits);
        long[] steps = reader.Integers("steps", n, 0, MaxEpisodeSteps - 1);
        long[] episodes = reader.Integers("episodes", n, 0, uint.MaxValue);
        SavedStepBuffers buffers = reader.Buffers(Buffers, TaskCount);

        // Everything has been read and checked; only now does the environment change.
        EnvironmentStateReader.Copy(states, _states);
        EnvironmentStateReader.Copy(goals, _goals);
        EnvironmentStateReader.Copy(steps, _steps);
        EnvironmentStateReader.Copy(episodes, _episodes);
        buffers.CopyTo(Buffers);
        Seed = seed;
        _started = started;
    }

    private BitFlipState State() => new(_states, _goals, _steps, _episodes);
}
