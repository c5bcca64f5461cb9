using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Random;
using Mtrl.Kernels.Gpu.Replay;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// Soft actor-critic's learner on the device: a tanh-Gaussian MLP actor, twin MLP critics Q(s, a)
/// with their Polyak targets, learned temperatures (one, or one per task) and an Adam per network,
/// making the update <c>SacTrainer</c> makes per gradient step — in its order and with its random
/// draws — on a <see cref="DeviceBatch"/> from the device replay, with no value going to the host:
/// <list type="number">
/// <item>targets y = r + γ(1 − terminated)·(min(Q̄₁, Q̄₂)(s′, a′) − α·log π(a′|s′)), a′ ~ π(·|s′) with
/// the normal draws of Philox stream "SACNOI" at counter 2u·c (u the update's number, c the
/// counters of B·d floats);</item>
/// <item>each critic in turn: Σ w(Q − y)²/B, backward, Adam over the critic's parameters;</item>
/// <item>every <see cref="DeviceSacOptions.ActorUpdateEvery"/> updates: ã ~ π(·|s) from counter
/// (2u + 1)·c, Σ w(α·log π − min(Q₁, Q₂)(s, ã))/B through the updated critics (∂/∂a only), backward
/// through the head and the actor, Adam; then the temperatures toward H̄;</item>
/// <item>every <see cref="DeviceSacOptions.TargetUpdateEvery"/> updates: both targets move by τ.</item>
/// </list>
/// A non-finite loss (or gradient) skips that optimizer's step on the device, and a skipped actor
/// step also skips the temperatures', as on the CPU.
/// </summary>
/// <remarks>
/// <para>Parameters mirror the CPU trainer's stores so its values upload as they are:
/// <see cref="Parameters"/> holds the actor and critic 1 (the layers' offsets index it),
/// <see cref="TwinParameters"/> the same layout for critic 2 (its actor part unused), and the
/// targets copy both. Each optimizer steps over its network's span of the array, as the CPU's Adam
/// over its network's slices (global-norm clip per network).</para>
/// <para>Inputs are observation ⊕ goal ⊕ one-hot(task) for the actor and the same ⊕ action for the
/// critics (<see cref="DeviceSacShape"/>). Not here: per-task layers, prioritized-replay importance
/// weights and new priorities, per-task gradient surgery (PCGrad, CAGrad, GradNorm) and frozen
/// slices, which the CPU trainer also offers.</para>
/// </remarks>
public sealed class DeviceSacLearner : IDisposable
{
    /// <summary>SacTrainer's Philox stream of the reparameterised samples ("SACNOI").</summary>
    public const ulong NoiseStream = 0x5341_434E_4F49;

    private readonly DeviceGemm _gemm;
    private readonly DeviceLayerOps _ops;
    private readonly DeviceMlpQNetwork _actor;
    private readonly DeviceMlpQNetwork _critic;
    private readonly DeviceMlpQNetwork _twin;
    private readonly DeviceMlpQNetwork _targetCritic;
    private readonly DeviceMlpQNetwork _twinTarget;
    private readonly DeviceTanhGaussian _head;
    private readonly DevicePhiloxNormal _normal;
    private readonly DeviceSacInputPacker _packer;
    private readonly (int Start, int Length) _actorSpan;
    private readonly (int Start, int Length) _criticSpan;
    private readonly DeviceSacSettings _settings;
    private readonly List<IDisposable> _buffers = new();
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _alphas;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _taskWeights;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _rowWeights;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actorInput;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _criticInput;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _sampled;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actLogProbability;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _criticGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _twinGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _logProbabilityGradient;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _rowLosses;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _criticInputGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _twinInputGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actionGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _readoutGradient;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _temperatures;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int> _softmaxWeights;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<float>, DeviceSacSettings> _rowWeightsKernel;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, DeviceSacSettings> _targets;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, DeviceSacSettings> _criticRows;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<double>, DeviceSacSettings> _actorRows;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, int, int> _meanLoss;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<double>, DeviceSacSettings> _temperatureGradient;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _actionGradients;

    /// <summary>Allocates zeroed networks, temperatures at <see cref="DeviceSacOptions.AlphaInit"/> and compiles the kernels; upload the initial parameters.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="actorLayers">The actor MLP's affine layers (ReLU between them), reading <see cref="DeviceSacShape.StateWidth"/> inputs and writing [μ | r], 2d values.</param>
    /// <param name="criticLayers">A critic MLP's affine layers, reading state width + d inputs and writing one Q value.</param>
    /// <param name="parameterCount">Length of each flat parameter array, covering both networks.</param>
    /// <param name="shape">Observation, goal and task widths.</param>
    /// <param name="maxBatch">Largest batch, at least 1.</param>
    /// <param name="options">γ, τ, temperatures, optimizers, schedules, the seed.</param>
    public DeviceSacLearner(
        GpuDevice device, IReadOnlyList<DeviceDenseLayer> actorLayers, IReadOnlyList<DeviceDenseLayer> criticLayers, int parameterCount,
        DeviceSacShape shape, int maxBatch, DeviceSacOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        shape.Validate();
        options.Validate();
        DeviceDenseLayer[] actor = DeviceMlpQNetwork.Validate(actorLayers, parameterCount);
        DeviceDenseLayer[] critic = DeviceMlpQNetwork.Validate(criticLayers, parameterCount);
        if (actor[^1].Outputs % 2 != 0)
        {
            throw new ArgumentException($"the actor writes {actor[^1].Outputs} values per row; a tanh-Gaussian head needs [μ | log-std], 2 per action dimension", nameof(actorLayers));
        }

        int d = actor[^1].Outputs / 2;
        if (actor[0].Inputs != shape.StateWidth)
        {
            throw new ArgumentException($"the actor reads {actor[0].Inputs} inputs but {Describe(shape)} = {shape.StateWidth}", nameof(actorLayers));
        }

        if (critic[0].Inputs != shape.StateWidth + d || critic[^1].Outputs != 1)
        {
            throw new ArgumentException(
                $"a critic reads {critic[0].Inputs} inputs and writes {critic[^1].Outputs}; it needs {Describe(shape)} + action {d} = {shape.StateWidth + d} inputs and one Q value",
                nameof(criticLayers));
        }

        if (options.TaskWeights is { } weights && weights.Count != shape.TaskCount)
        {
            throw new ArgumentException($"options.TaskWeights has {weights.Count} weights; the shape has {shape.TaskCount} tasks", nameof(options));
        }

        _actorSpan = Span(actor);
        _criticSpan = Span(critic);
        if (_actorSpan.Start < _criticSpan.Start + _criticSpan.Length && _criticSpan.Start < _actorSpan.Start + _actorSpan.Length)
        {
            throw new ArgumentException(
                $"the actor's parameters [{_actorSpan.Start}, {_actorSpan.Start + _actorSpan.Length}) overlap the critic's [{_criticSpan.Start}, {_criticSpan.Start + _criticSpan.Length}); each optimizer needs its own span",
                nameof(criticLayers));
        }

        Options = options;
        Shape = shape;
        ActionSize = d;
        MaxBatch = maxBatch;
        int slots = options.Alpha == TemperatureMode.PerTask ? shape.TaskCount : 1;
        double targetEntropy = options.TargetEntropy ?? -d;
        _settings = new DeviceSacSettings(0, shape.TaskCount, slots, options.Gamma, targetEntropy);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        Parameters = Zeroed<float>(accelerator, parameterCount);
        Gradients = Zeroed<float>(accelerator, parameterCount);
        TwinParameters = Zeroed<float>(accelerator, parameterCount);
        TwinGradients = Zeroed<float>(accelerator, parameterCount);
        TargetParameters = Zeroed<float>(accelerator, parameterCount);
        TwinTargetParameters = Zeroed<float>(accelerator, parameterCount);
        LogAlpha = Track(accelerator.Allocate1D(FilledWith(slots, (float)Math.Log(options.AlphaInit))));
        LogAlphaGradient = Zeroed<float>(accelerator, slots);
        _alphas = Zeroed<float>(accelerator, slots);
        var taskWeights = new double[shape.TaskCount];
        for (int t = 0; t < taskWeights.Length; t++)
        {
            taskWeights[t] = options.TaskWeights?[t] ?? 1.0;
        }

        _taskWeights = Track(accelerator.Allocate1D(taskWeights));
        _rowWeights = Zeroed<float>(accelerator, maxBatch);
        Noise = Zeroed<float>(accelerator, (long)maxBatch * d);
        ActorNoise = Zeroed<float>(accelerator, (long)maxBatch * d);
        LogProbability = Zeroed<float>(accelerator, maxBatch);
        Targets = Zeroed<float>(accelerator, maxBatch);
        Losses = Track(accelerator.Allocate1D(new[] { double.NaN, double.NaN, double.NaN }));
        AlphaLoss = Track(accelerator.Allocate1D(new[] { double.NaN, double.NaN }));
        _actorInput = Zeroed<float>(accelerator, (long)maxBatch * shape.StateWidth);
        _criticInput = Zeroed<float>(accelerator, (long)maxBatch * (shape.StateWidth + d));
        _sampled = Zeroed<float>(accelerator, (long)maxBatch * d);
        _actLogProbability = Zeroed<float>(accelerator, maxBatch);
        _criticGradient = Zeroed<float>(accelerator, maxBatch);
        _twinGradient = Zeroed<float>(accelerator, maxBatch);
        _logProbabilityGradient = Zeroed<float>(accelerator, maxBatch);
        _rowLosses = Zeroed<double>(accelerator, maxBatch);
        _criticInputGradient = Zeroed<float>(accelerator, (long)maxBatch * (shape.StateWidth + d));
        _twinInputGradient = Zeroed<float>(accelerator, (long)maxBatch * (shape.StateWidth + d));
        _actionGradient = Zeroed<float>(accelerator, (long)maxBatch * d);
        _readoutGradient = Zeroed<float>(accelerator, (long)maxBatch * 2 * d);

        _gemm = new DeviceGemm(device);
        _ops = new DeviceLayerOps(device);
        _actor = new DeviceMlpQNetwork(_gemm, _ops, actor, Parameters.View, Gradients.View, maxBatch);
        _critic = new DeviceMlpQNetwork(_gemm, _ops, critic, Parameters.View, Gradients.View, maxBatch);
        _twin = new DeviceMlpQNetwork(_gemm, _ops, critic, TwinParameters.View, TwinGradients.View, maxBatch);
        _targetCritic = new DeviceMlpQNetwork(_gemm, _ops, critic, TargetParameters.View, default, maxBatch);
        _twinTarget = new DeviceMlpQNetwork(_gemm, _ops, critic, TwinTargetParameters.View, default, maxBatch);
        _head = new DeviceTanhGaussian(device, d, options.LogStdMin, options.LogStdMax);
        _normal = new DevicePhiloxNormal(device);
        _packer = new DeviceSacInputPacker(device);
        ActorOptimizer = new DeviceAdam(device, _actorSpan.Length, options.Actor);
        CriticOptimizer = new DeviceAdam(device, _criticSpan.Length, options.Critic);
        TwinOptimizer = new DeviceAdam(device, _criticSpan.Length, options.Critic);
        TemperatureOptimizer = options.Alpha == TemperatureMode.Fixed ? null : new DeviceAdam(device, slots, new DeviceAdamOptions(LearningRate: options.AlphaLearningRate));

        _temperatures = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(DeviceSacKernels.Temperatures);
        _softmaxWeights = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(DeviceSacKernels.SoftmaxTaskWeights);
        _rowWeightsKernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<float>, DeviceSacSettings>(DeviceSacKernels.RowWeights);
        _targets = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceSacSettings>(DeviceSacKernels.Targets);
        _criticRows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>,
            DeviceSacSettings>(DeviceSacKernels.CriticRows);
        _actorRows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, DeviceSacSettings>(DeviceSacKernels.ActorRows);
        _meanLoss = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int, int>(DeviceSacKernels.MeanLoss);
        _temperatureGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
            ArrayView<double>, ArrayView<double>, DeviceSacSettings>(DeviceSacKernels.TemperatureGradient);
        _actionGradients = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DeviceSacKernels.ActionGradients);
    }

    /// <summary>The settings.</summary>
    public DeviceSacOptions Options { get; }

    /// <summary>What the networks read.</summary>
    public DeviceSacShape Shape { get; }

    /// <summary>Action dimensions d.</summary>
    public int ActionSize { get; }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Updates made so far (host-side: it numbers the updates' noise counters and schedules).</summary>
    public long Updates { get; private set; }

    /// <summary>The actor's and critic 1's parameters (the CPU trainer's <c>Parameters</c>).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Parameters { get; }

    /// <summary>Gradients of <see cref="Parameters"/> from the last backward pass (the actor's after an actor update).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Gradients { get; }

    /// <summary>Critic 2's parameters (the CPU trainer's <c>TwinParameters</c>).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> TwinParameters { get; }

    /// <summary>Gradients of <see cref="TwinParameters"/> from the last critic update.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> TwinGradients { get; }

    /// <summary>Target copy of <see cref="Parameters"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> TargetParameters { get; }

    /// <summary>Target copy of <see cref="TwinParameters"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> TwinTargetParameters { get; }

    /// <summary>log α: one value, or one per task with <see cref="TemperatureMode.PerTask"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> LogAlpha { get; }

    /// <summary>∂L/∂log α of the last temperature update.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> LogAlphaGradient { get; }

    /// <summary>The last update's standard-normal draws at s′ (rows × d).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Noise { get; }

    /// <summary>The last actor update's standard-normal draws at s (rows × d).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> ActorNoise { get; }

    /// <summary>log π of the last sample (the actor update's, or the targets' when the actor was not updated).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> LogProbability { get; }

    /// <summary>The last update's TD targets.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Targets { get; }

    /// <summary>float64 losses of the last update: [0] critic 1, [1] critic 2 (their sum is the CPU's <c>LastLoss</c>), [2] the last actor loss.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Losses { get; }

    /// <summary>[0] the last temperature loss; [1] the value its optimizer was gated on (NaN when the actor loss was not finite).</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> AlphaLoss { get; }

    /// <summary>The actor's optimizer, over the actor's span of <see cref="Parameters"/>.</summary>
    public DeviceAdam ActorOptimizer { get; }

    /// <summary>Critic 1's optimizer, over the critic's span of <see cref="Parameters"/>.</summary>
    public DeviceAdam CriticOptimizer { get; }

    /// <summary>Critic 2's optimizer, over the critic's span of <see cref="TwinParameters"/>.</summary>
    public DeviceAdam TwinOptimizer { get; }

    /// <summary>The temperatures' optimizer; null with a fixed temperature.</summary>
    public DeviceAdam? TemperatureOptimizer { get; }

    /// <summary>Where the actor's parameters (and its optimizer's moments) start in <see cref="Parameters"/>, and how many there are.</summary>
    public (int Start, int Length) ActorSpan => _actorSpan;

    /// <summary>Where a critic's parameters start in its array, and how many there are.</summary>
    public (int Start, int Length) CriticSpan => _criticSpan;

    /// <summary>One gradient step on <paramref name="batch"/> (sampled by the caller from the device replay); nothing is read back.</summary>
    /// <param name="batch">A device batch with the shape's observation and goal widths and d-wide actions in [−1, 1].</param>
    public void Update(DeviceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        DeviceReplayOptions replay = batch.Options;
        if (replay.ObservationWidth != Shape.ObservationWidth || (Shape.GoalWidth > 0 && replay.GoalWidth != Shape.GoalWidth) || replay.ActionWidth != ActionSize)
        {
            throw new ArgumentException(
                $"the batch has observations {replay.ObservationWidth} wide, goals {replay.GoalWidth} and actions {replay.ActionWidth}; " +
                $"the learner needs observations {Shape.ObservationWidth}, goals {Shape.GoalWidth} and actions {ActionSize}", nameof(batch));
        }

        int rows = batch.Size;
        if (rows > MaxBatch)
        {
            throw new ArgumentException($"the batch has {rows} rows; the learner was built for at most {MaxBatch}", nameof(batch));
        }

        long update = Updates;
        int d = ActionSize;
        DeviceSacSettings s = _settings with { Count = rows };
        ArrayView<int> tasks = batch.TaskIds.View;
        ArrayView<float> goals = batch.DesiredGoals.View;
        int oneHot = Shape.TaskOneHot ? Shape.TaskCount : 0;
        ArrayView<float> noise = Noise.View.SubView(0, (long)rows * d);
        ArrayView<float> actorNoise = ActorNoise.View.SubView(0, (long)rows * d);
        ulong counters = PhiloxFill.CountersForFloats(rows * d);

        // 0. The temperatures and row weights as they are at the start of the update.
        _temperatures(s.Slots, LogAlpha.View, _alphas.View);
        if (Options.AlphaSoftmaxWeights)
        {
            _softmaxWeights(1, LogAlpha.View, _taskWeights.View, Shape.TaskCount);
        }

        _rowWeightsKernel(rows, tasks, _taskWeights.View, _rowWeights.View, s);

        // 1. Targets from a fresh sample of the current policy at s′.
        _normal.Fill(noise, Options.Seed, NoiseStream, (ulong)update * 2 * counters);
        ArrayView<float> actorNext = _packer.Pack(rows, batch.NextObservations.View, goals, tasks, default, Shape.ObservationWidth, Shape.GoalWidth, oneHot, 0, _actorInput.View);
        _head.Sample(rows, _actor.Forward(actorNext, rows), noise, _sampled.View, LogProbability.View);
        ArrayView<float> criticNext = _packer.Pack(
            rows, batch.NextObservations.View, goals, tasks, _sampled.View, Shape.ObservationWidth, Shape.GoalWidth, oneHot, d, _criticInput.View);
        ArrayView<float> q = _targetCritic.Forward(criticNext, rows);
        ArrayView<float> twinQ = _twinTarget.Forward(criticNext, rows);
        _targets(rows, batch.Rewards.View, batch.Terminated.View, tasks, q, twinQ, LogProbability.View, _alphas.View, Targets.View, s);

        // 2. Both critics, on the batch's actions.
        ArrayView<float> criticInput = _packer.Pack(
            rows, batch.Observations.View, goals, tasks, batch.Actions.View, Shape.ObservationWidth, Shape.GoalWidth, oneHot, d, _criticInput.View);
        UpdateCritic(_critic, Parameters, Gradients, CriticOptimizer, criticInput, 0, s);
        UpdateCritic(_twin, TwinParameters, TwinGradients, TwinOptimizer, criticInput, 1, s);

        // 3. Actor and temperatures.
        if (update % Options.ActorUpdateEvery == 0)
        {
            _normal.Fill(actorNoise, Options.Seed, NoiseStream, ((ulong)update * 2 + 1) * counters);
            ArrayView<float> actorInput = _packer.Pack(rows, batch.Observations.View, goals, tasks, default, Shape.ObservationWidth, Shape.GoalWidth, oneHot, 0, _actorInput.View);
            ArrayView<float> readout = _actor.Forward(actorInput, rows);
            _head.Sample(rows, readout, actorNoise, _sampled.View, LogProbability.View);
            ArrayView<float> policyInput = _packer.Pack(
                rows, batch.Observations.View, goals, tasks, _sampled.View, Shape.ObservationWidth, Shape.GoalWidth, oneHot, d, _criticInput.View);
            q = _critic.Forward(policyInput, rows);
            twinQ = _twin.Forward(policyInput, rows);
            _actorRows(rows, q, twinQ, LogProbability.View, tasks, _alphas.View, _rowWeights.View, _logProbabilityGradient.View, _criticGradient.View,
                _twinGradient.View, _rowLosses.View, s);
            _meanLoss(1, _rowLosses.View, Losses.View, 2, rows);

            // Only ∂L/∂a is wanted from the critics: their weight gradients are not computed.
            int width = Shape.StateWidth + d;
            _twin.BackwardToInput(_twinGradient.View, _twinInputGradient.View);
            _critic.BackwardToInput(_criticGradient.View, _criticInputGradient.View);
            _actionGradients(rows * d, _twinInputGradient.View, _criticInputGradient.View, _actionGradient.View, d, width);
            _head.Backward(rows, readout, actorNoise, _actionGradient.View, _logProbabilityGradient.View, _readoutGradient.View);
            Gradients.MemSetToZero();
            _actor.Backward(_readoutGradient.View);
            ActorOptimizer.Step(Span(Parameters, _actorSpan), Span(Gradients, _actorSpan), Losses.View.SubView(2, 1));

            if (TemperatureOptimizer is not null)
            {
                _temperatureGradient(1, LogProbability.View, tasks, LogAlpha.View, LogAlphaGradient.View, AlphaLoss.View, Losses.View.SubView(2, 1), s);
                TemperatureOptimizer.Step(LogAlpha.View, LogAlphaGradient.View, AlphaLoss.View.SubView(1, 1));
            }
        }

        // 4. Targets.
        if ((update + 1) % Options.TargetUpdateEvery == 0)
        {
            _ops.Blend(TargetParameters.View, Parameters.View, Options.Tau);
            _ops.Blend(TwinTargetParameters.View, TwinParameters.View, Options.Tau);
        }

        Updates = update + 1;
    }

    /// <summary>
    /// Exploration actions as <c>SacTrainer</c> takes them after the warm-up: the actor at the
    /// rows' observation ⊕ goal ⊕ one-hot(task), then a′ = tanh(μ + σε) with the caller's normal
    /// draws ε (the trainer's stream and counters); nothing is read back.
    /// </summary>
    /// <param name="rows">Rows (environments), at most <see cref="MaxBatch"/>.</param>
    /// <param name="observations">rows × observation width.</param>
    /// <param name="desiredGoals">rows × goal width (empty without goals).</param>
    /// <param name="taskIds">rows task ids (read for the one-hot input).</param>
    /// <param name="noise">rows × d standard-normal draws.</param>
    /// <param name="actions">rows × d actions in [−1, 1], written.</param>
    public void Act(int rows, ArrayView<float> observations, ArrayView<float> desiredGoals, ArrayView<int> taskIds, ArrayView<float> noise, ArrayView<float> actions)
    {
        if (rows < 1 || rows > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"must be in [1, {MaxBatch}] (the learner's largest batch)");
        }

        int d = ActionSize;
        int oneHot = Shape.TaskOneHot ? Shape.TaskCount : 0;
        if (observations.Length < (long)rows * Shape.ObservationWidth || noise.Length < (long)rows * d || actions.Length < (long)rows * d || taskIds.Length < rows)
        {
            throw new ArgumentException($"{rows} rows need observations of {rows} × {Shape.ObservationWidth}, {rows} task ids and noise and actions of {rows} × {d} values", nameof(observations));
        }

        ArrayView<float> input = _packer.Pack(rows, observations, desiredGoals, taskIds, default, Shape.ObservationWidth, Shape.GoalWidth, oneHot, 0, _actorInput.View);
        _head.Sample(rows, _actor.Forward(input, rows), noise, actions, _actLogProbability.View);
    }

    /// <summary>The last critic losses (their sum, the CPU's <c>LastLoss</c>) and actor loss (synchronises).</summary>
    public (double Critic, double Actor) ReadLosses()
    {
        double[] losses = Losses.GetAsArray1D();
        return (losses[0] + losses[1], losses[2]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _actor.Dispose();
        _critic.Dispose();
        _twin.Dispose();
        _targetCritic.Dispose();
        _twinTarget.Dispose();
        ActorOptimizer.Dispose();
        CriticOptimizer.Dispose();
        TwinOptimizer.Dispose();
        TemperatureOptimizer?.Dispose();
        _gemm.Dispose();
        foreach (IDisposable buffer in _buffers)
        {
            buffer.Dispose();
        }
    }

    private void UpdateCritic(
        DeviceMlpQNetwork critic, MemoryBuffer1D<float, Stride1D.Dense> parameters, MemoryBuffer1D<float, Stride1D.Dense> gradients, DeviceAdam optimizer,
        ArrayView<float> input, int lossIndex, DeviceSacSettings s)
    {
        int rows = s.Count;
        ArrayView<float> q = critic.Forward(input, rows);
        _criticRows(rows, q, Targets.View, _rowWeights.View, _criticGradient.View, _rowLosses.View, s);
        _meanLoss(1, _rowLosses.View, Losses.View, lossIndex, rows);
        gradients.MemSetToZero();
        critic.Backward(_criticGradient.View);
        optimizer.Step(Span(parameters, _criticSpan), Span(gradients, _criticSpan), Losses.View.SubView(lossIndex, 1));
    }

    private static ArrayView<float> Span(MemoryBuffer1D<float, Stride1D.Dense> buffer, (int Start, int Length) span) => buffer.View.SubView(span.Start, span.Length);

    /// <summary>The smallest range of the parameter array holding every layer's weight and bias.</summary>
    private static (int Start, int Length) Span(DeviceDenseLayer[] layers)
    {
        long start = long.MaxValue, end = 0;
        foreach (DeviceDenseLayer layer in layers)
        {
            start = Math.Min(start, Math.Min(layer.WeightOffset, layer.BiasOffset));
            end = Math.Max(end, Math.Max(layer.WeightOffset + ((long)layer.Inputs * layer.Outputs), (long)layer.BiasOffset + layer.Outputs));
        }

        return ((int)start, (int)(end - start));
    }

    private static string Describe(DeviceSacShape shape)
        => $"observation {shape.ObservationWidth} + goal {shape.GoalWidth}" + (shape.TaskOneHot ? $" + one-hot task {shape.TaskCount}" : string.Empty);

    private static float[] FilledWith(int length, float value)
    {
        var values = new float[length];
        Array.Fill(values, value);
        return values;
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Zeroed<T>(ILGPU.Runtime.Accelerator accelerator, long length)
        where T : unmanaged
    {
        MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        return Track(buffer);
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Track<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        _buffers.Add(buffer);
        return buffer;
    }
}
