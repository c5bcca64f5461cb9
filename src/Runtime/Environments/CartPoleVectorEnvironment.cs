using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// N CartPole environments with the equations and constants of Gymnasium's CartPole-v1
/// (explicit Euler with τ = 0.02 s, gravity 9.8, cart 1.0 kg, pole 0.1 kg, half length 0.5 m,
/// force ±10 N; terminate when |θ| &gt; 12° or |x| &gt; 2.4; reward 1 per step including the last;
/// truncate at 500 steps), optionally with each environment's cart mass, pole mass, pole length
/// and force drawn per episode from configurable ranges (domain randomization), or with one
/// fixed physics per task (<see cref="CartPoleOptions.Tasks"/>). One vector kernel steps eight
/// environments per instruction stream.
/// </summary>
/// <remarks>
/// Observation = (x, ẋ, θ, θ̇) as float32; actions 0 = push left, 1 = push right. State is
/// kept in float32 (Gymnasium keeps float64 and rounds the observation), so trajectories agree
/// with Gymnasium's to float32 rounding per step. Same-step autoreset (see
/// <see cref="VectorStepBuffers"/>); episode k of environment i draws its start state from
/// Philox block (seed, i, k·2^32) and its physics from block (seed, i, k·2^32 + 1).
/// </remarks>
public sealed class CartPoleVectorEnvironment : IDiscreteVectorEnvironment, IResumableEnvironment
{
    // Groups of 8 environments per chunk: 32 groups = 256 environments, about a microsecond of work.
    private const int GroupGrain = 32;
    private const int EnvironmentGrain = 1024;

    private readonly Accelerator _accelerator;
    private readonly CartPolePhysicsRanges _ranges;
    private readonly CartPoleTask[] _tasks;
    private readonly int[] _taskIds;
    private readonly float[] _x;
    private readonly float[] _xDot;
    private readonly float[] _theta;
    private readonly float[] _thetaDot;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private readonly float[] _forceMagnitude;
    private readonly float[] _massPole;
    private readonly float[] _totalMass;
    private readonly float[] _halfPoleLength;
    private readonly float[] _poleMassLength;
    private bool _started;

    /// <summary>Creates N environments; call <see cref="Reset"/> before stepping.</summary>
    /// <param name="environmentCount">N, at least 1.</param>
    /// <param name="options">Randomization ranges or tasks, and time limit; null is exactly CartPole-v1.</param>
    /// <param name="accelerator">Where kernels run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="taskIds">Task of each environment (N values in [0, tasks)); null assigns task i mod T to environment i.</param>
    public CartPoleVectorEnvironment(int environmentCount, CartPoleOptions? options = null, Accelerator? accelerator = null, IReadOnlyList<int>? taskIds = null)
    {
        EnvironmentArguments.CheckEnvironmentCount(environmentCount);
        Options = options ?? new CartPoleOptions();
        Options.Validate();
        _ranges = Options.PhysicsRanges();
        _tasks = Options.Tasks?.ToArray() ?? [];
        _taskIds = EnvironmentArguments.AssignTasks(taskIds, environmentCount, Options.TaskCount);
        _accelerator = accelerator ?? CpuAccelerator.Default;
        Buffers = new VectorStepBuffers(environmentCount, CartPoleRules.ObservationSize);
        _x = new float[environmentCount];
        _xDot = new float[environmentCount];
        _theta = new float[environmentCount];
        _thetaDot = new float[environmentCount];
        _steps = new int[environmentCount];
        _episodes = new uint[environmentCount];
        _forceMagnitude = new float[environmentCount];
        _massPole = new float[environmentCount];
        _totalMass = new float[environmentCount];
        _halfPoleLength = new float[environmentCount];
        _poleMassLength = new float[environmentCount];
    }

    /// <summary>The settings the environments run with.</summary>
    public CartPoleOptions Options { get; }

    /// <inheritdoc />
    public int EnvironmentCount => Buffers.EnvironmentCount;

    /// <inheritdoc />
    public int ObservationSize => CartPoleRules.ObservationSize;

    /// <inheritdoc />
    public ActionSpace ActionSpace { get; } = ActionSpace.Discrete(2);

    /// <inheritdoc />
    public int TaskCount => Options.TaskCount;

    /// <summary>Balancing until the time limit is success; termination means the pole fell or the cart left the track.</summary>
    public SuccessSignal SuccessSignal => SuccessSignal.Survival;

    /// <inheritdoc />
    public VectorStepBuffers Buffers { get; }

    /// <inheritdoc />
    public ulong Seed { get; private set; }

    /// <summary>Each environment's cart mass plus pole mass in its current episode (read-only view, for inspecting the randomization).</summary>
    public ReadOnlySpan<float> TotalMass => _totalMass;

    /// <summary>Each environment's pole mass in its current episode.</summary>
    public ReadOnlySpan<float> MassPole => _massPole;

    /// <summary>Each environment's half pole length in its current episode.</summary>
    public ReadOnlySpan<float> HalfPoleLength => _halfPoleLength;

    /// <summary>Each environment's push magnitude in its current episode.</summary>
    public ReadOnlySpan<float> ForceMagnitude => _forceMagnitude;

    /// <inheritdoc />
    public void Reset(ulong seed)
    {
        Seed = seed;
        _taskIds.CopyTo(Buffers.TaskIds, 0);
        if (_tasks.Length == 0)
        {
            var kernel = new CartPoleResetKernel(State(), Buffers.StepOutputs(), _ranges, seed);
            _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
        }
        else
        {
            var kernel = new CartPoleResetKernel(State(), Buffers.StepOutputs(), _tasks, _taskIds, seed);
            _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
        }

        _started = true;
    }

    /// <inheritdoc />
    public void Step(ReadOnlySpan<int> actions)
    {
        EnvironmentArguments.CheckStarted(_started, nameof(CartPoleVectorEnvironment));
        EnvironmentArguments.CheckDiscreteActions(actions, EnvironmentCount, 2);
        var kernel = new CartPoleStepKernel(State(), actions, Buffers.StepOutputs(), _ranges, Options.MaxEpisodeSteps, Seed);
        _accelerator.LaunchChunked(CartPoleStepKernel.GroupCount(EnvironmentCount), GroupGrain, in kernel);
    }

    /// <summary>
    /// Saves the kind, N, the task count and assignment, the time limit, the seed and started
    /// flag, each environment's x, ẋ, θ, θ̇, step and episode counters and its current episode's
    /// physics (force, pole mass, total mass, half pole length and their product), and every step
    /// buffer.
    /// </summary>
    /// <inheritdoc />
    public void SaveState(Checkpoint checkpoint, string prefix)
    {
        var writer = new EnvironmentStateWriter(checkpoint, prefix, EnvironmentKind.CartPole);
        writer.Shape(this);
        writer.Integers("taskAssignment", _taskIds);
        writer.Counter("maxEpisodeSteps", Options.MaxEpisodeSteps);
        writer.Progress(Seed, _started);
        writer.Floats("x", _x);
        writer.Floats("xDot", _xDot);
        writer.Floats("theta", _theta);
        writer.Floats("thetaDot", _thetaDot);
        writer.Integers("steps", _steps);
        writer.Integers("episodes", _episodes);
        writer.Floats("forceMagnitude", _forceMagnitude);
        writer.Floats("massPole", _massPole);
        writer.Floats("totalMass", _totalMass);
        writer.Floats("halfPoleLength", _halfPoleLength);
        writer.Floats("poleMassLength", _poleMassLength);
        writer.Buffers(Buffers);
    }

    /// <summary>Also refuses a checkpoint saved with another task assignment or time limit; nothing changes unless the whole state is valid.</summary>
    /// <inheritdoc />
    public void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var reader = new EnvironmentStateReader(checkpoint, prefix, EnvironmentKind.CartPole);
        reader.RequireShape(this);
        reader.RequireTaskAssignment(_taskIds, TaskCount);
        reader.RequireSize("maxEpisodeSteps", "time limit (MaxEpisodeSteps)", Options.MaxEpisodeSteps);
        int n = EnvironmentCount;
        var (seed, started) = reader.Progress();
        float[] x = reader.Floats("x", n);
        float[] xDot = reader.Floats("xDot", n);
        float[] theta = reader.Floats("theta", n);
        float[] thetaDot = reader.Floats("thetaDot", n);
        long[] steps = reader.Integers("steps", n, 0, Options.MaxEpisodeSteps - 1);
        long[] episodes = reader.Integers("episodes", n, 0, uint.MaxValue);
        float[] forceMagnitude = reader.Floats("forceMagnitude", n);
        float[] massPole = reader.Floats("massPole", n);
        float[] totalMass = reader.Floats("totalMass", n);
        float[] halfPoleLength = reader.Floats("halfPoleLength", n);
        float[] poleMassLength = reader.Floats("poleMassLength", n);
        SavedStepBuffers buffers = reader.Buffers(Buffers, TaskCount);

        // Everything has been read and checked; only now does the environment change.
        x.CopyTo(_x, 0);
        xDot.CopyTo(_xDot, 0);
        theta.CopyTo(_theta, 0);
        thetaDot.CopyTo(_thetaDot, 0);
        EnvironmentStateReader.Copy(steps, _steps);
        EnvironmentStateReader.Copy(episodes, _episodes);
        forceMagnitude.CopyTo(_forceMagnitude, 0);
        massPole.CopyTo(_massPole, 0);
        totalMass.CopyTo(_totalMass, 0);
        halfPoleLength.CopyTo(_halfPoleLength, 0);
        poleMassLength.CopyTo(_poleMassLength, 0);
        buffers.CopyTo(Buffers);
        Seed = seed;
        _started = started;
    }

    private CartPoleState State() => new(
        _x, _xDot, _theta, _thetaDot, _steps, _episodes, _forceMagnitude, _massPole, _totalMass, _halfPoleLength, _poleMassLength);
}
