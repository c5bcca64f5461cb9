using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;

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
public sealed class CartPoleVectorEnvironment : IDiscreteVectorEnvironment
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

    private CartPoleState State() => new(
        _x, _xDot, _theta, _thetaDot, _steps, _episodes, _forceMagnitude, _massPole, _totalMass, _halfPoleLength, _poleMassLength);
}
