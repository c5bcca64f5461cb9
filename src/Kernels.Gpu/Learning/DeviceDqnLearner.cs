using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Replay;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// DQN's learner on the device: an online and a target MLP Q network, Adam, and the update
/// <c>DqnTrainer</c> makes per gradient step — Q_online(s′) (double DQN), Q_target(s′), Q_online(s),
/// the TD targets and loss, ∂L/∂Q, backward, Adam — on a <see cref="DeviceBatch"/> sampled from
/// the device replay, with no value going to the host. A non-finite loss or gradient skips the
/// step on the device (counted by the optimizer), as the CPU trainer skips it.
/// </summary>
/// <remarks>
/// The parameters are flat device arrays in the CPU layout that <see cref="DeviceDenseLayer"/>
/// describes, so a CPU parameter store's values can be uploaded as they are. Inputs are the
/// batch's observations, followed by its desired goals when the network reads goals (the CPU Q
/// network's input). Not here: per-task layers, prioritized replay weights, task loss weights and
/// per-task gradient surgery, which the CPU trainer also offers.
/// </remarks>
public sealed class DeviceDqnLearner : IDisposable
{
    private readonly DeviceGemm _gemm;
    private readonly DeviceLayerOps _ops;
    private readonly DeviceMlpQNetwork _online;
    private readonly DeviceMlpQNetwork _target;
    private readonly DeviceTdLoss _loss;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _currentInput;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _nextInput;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _onlineNext;

    /// <summary>Allocates zeroed parameters for <paramref name="layers"/> and compiles the kernels; upload the initial values into <see cref="Parameters"/> and <see cref="TargetParameters"/>.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="layers">The MLP's affine layers (ReLU between them), the last with one output per action.</param>
    /// <param name="parameterCount">Length of the flat parameter array, covering every layer.</param>
    /// <param name="observationWidth">Floats per observation.</param>
    /// <param name="goalWidth">Floats per goal, 0 without goals; observation + goal widths must equal the first layer's inputs.</param>
    /// <param name="maxBatch">Largest batch.</param>
    /// <param name="options">γ, double DQN, the loss and Adam's settings.</param>
    public DeviceDqnLearner(
        GpuDevice device, IReadOnlyList<DeviceDenseLayer> layers, int parameterCount, int observationWidth, int goalWidth, int maxBatch, DeviceDqnOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(goalWidth);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        DeviceDenseLayer[] checkedLayers = DeviceMlpQNetwork.Validate(layers, parameterCount);
        if (checkedLayers[0].Inputs != observationWidth + goalWidth)
        {
            throw new ArgumentException(
                $"the first layer reads {checkedLayers[0].Inputs} inputs but observation {observationWidth} + goal {goalWidth} = {observationWidth + goalWidth}", nameof(layers));
        }

        Options = options;
        ObservationWidth = observationWidth;
        GoalWidth = goalWidth;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        Parameters = accelerator.Allocate1D<float>(parameterCount);
        Gradients = accelerator.Allocate1D<float>(parameterCount);
        TargetParameters = accelerator.Allocate1D<float>(parameterCount);
        Parameters.MemSetToZero();
        Gradients.MemSetToZero();
        TargetParameters.MemSetToZero();
        _gemm = new DeviceGemm(device);
        _ops = new DeviceLayerOps(device);
        _online = new DeviceMlpQNetwork(_gemm, _ops, layers, Parameters.View, Gradients.View, maxBatch);
        _target = new DeviceMlpQNetwork(_gemm, _ops, layers, TargetParameters.View, default, maxBatch);
        ActionCount = _online.ActionCount;
        Optimizer = new DeviceAdam(device, parameterCount, options.Adam);
        _loss = new DeviceTdLoss(device, maxBatch, ActionCount);
        _currentInput = accelerator.Allocate1D<float>((long)maxBatch * _online.Inputs);
        _nextInput = accelerator.Allocate1D<float>((long)maxBatch * _online.Inputs);
        _onlineNext = accelerator.Allocate1D<float>((long)maxBatch * ActionCount);
    }

    /// <summary>The settings.</summary>
    public DeviceDqnOptions Options { get; }

    /// <summary>Floats per observation.</summary>
    public int ObservationWidth { get; }

    /// <summary>Floats per goal (0 without goals).</summary>
    public int GoalWidth { get; }

    /// <summary>Q values per row.</summary>
    public int ActionCount { get; }

    /// <summary>The online network's parameters.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Parameters { get; }

    /// <summary>The online network's gradients of the last update.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Gradients { get; }

    /// <summary>The target network's parameters.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> TargetParameters { get; }

    /// <summary>The optimizer (its counters tell applied and skipped steps).</summary>
    public DeviceAdam Optimizer { get; }

    /// <summary>The last update's TD loss, targets and ∂L/∂Q.</summary>
    public DeviceTdLoss Loss => _loss;

    /// <summary>One gradient step on <paramref name="batch"/> (sampled by the caller from the device replay); nothing is read back.</summary>
    /// <param name="batch">A device batch whose observation width is <see cref="ObservationWidth"/>, with one action per row.</param>
    public void Update(DeviceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // A learner without goals ignores the batch's; one with goals reads rows exactly as wide as its own.
        if (batch.Options.ObservationWidth != ObservationWidth || (GoalWidth > 0 && batch.Options.GoalWidth != GoalWidth) || batch.Options.ActionWidth != 1)
        {
            throw new ArgumentException(
                $"the batch has observations {batch.Options.ObservationWidth} wide, goals {batch.Options.GoalWidth} and actions {batch.Options.ActionWidth}; " +
                $"the learner needs observations {ObservationWidth}, goals {GoalWidth} and one discrete action", nameof(batch));
        }

        int rows = batch.Size;
        if (rows > _online.MaxBatch)
        {
            throw new ArgumentException($"the batch has {rows} rows; the learner was built for at most {_online.MaxBatch}", nameof(batch));
        }

        ArrayView<float> current = Input(batch.Observations.View, batch.DesiredGoals.View, rows, _currentInput);
        ArrayView<float> next = Input(batch.NextObservations.View, batch.DesiredGoals.View, rows, _nextInput);
        long matrix = (long)rows * ActionCount;
        if (Options.Double)
        {
            // The online network's next forward overwrites its outputs, so Q_online(s′) is kept aside.
            ArrayView<float> onlineNext = _online.Forward(next, rows).SubView(0, matrix);
            ArrayView<float> kept = _onlineNext.View.SubView(0, matrix);
            onlineNext.CopyTo(kept);
        }

        ArrayView<float> targetNext = _target.Forward(next, rows);
        ArrayView<float> q = _online.Forward(current, rows);
        _loss.Compute(rows, batch.Rewards.View, batch.Terminated.View, batch.Actions.View, q, targetNext, _onlineNext.View, Options.Gamma, Options.Double, Options.Loss);
        Gradients.MemSetToZero();
        _online.Backward(_loss.QGradient.View);
        Optimizer.Step(Parameters.View, Gradients.View, _loss.Loss.View);
    }

    /// <summary>
    /// The online network's Q values of <paramref name="rows"/> rows (acting): observations,
    /// followed by the desired goals when the network reads goals. Valid until the next forward
    /// or update; nothing is read back.
    /// </summary>
    /// <param name="observations">rows × <see cref="ObservationWidth"/>.</param>
    /// <param name="goals">rows × <see cref="GoalWidth"/> (ignored without goals).</param>
    /// <param name="rows">Rows, in [1, the learner's largest batch].</param>
    /// <returns>rows × <see cref="ActionCount"/> Q values.</returns>
    public ArrayView<float> ForwardOnline(ArrayView<float> observations, ArrayView<float> goals, int rows)
    {
        if (rows < 1 || rows > _online.MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows must be in [1, {_online.MaxBatch}]");
        }

        if (observations.Length < (long)rows * ObservationWidth || (GoalWidth > 0 && goals.Length < (long)rows * GoalWidth))
        {
            throw new ArgumentException(
                $"observations and goals have {observations.Length} and {goals.Length} values; {rows} rows need {(long)rows * ObservationWidth} and {(long)rows * GoalWidth}", nameof(observations));
        }

        return _online.Forward(Input(observations, goals, rows, _currentInput), rows);
    }

    /// <summary>θ′ ← (1 − τ)·θ′ + τ·θ: the target network's update (τ = 1 copies, as DQN's default).</summary>
    public void UpdateTarget(float tau) => _ops.Blend(TargetParameters.View, Parameters.View, tau);

    /// <inheritdoc />
    public void Dispose()
    {
        _online.Dispose();
        _target.Dispose();
        _loss.Dispose();
        Optimizer.Dispose();
        _gemm.Dispose();
        _currentInput.Dispose();
        _nextInput.Dispose();
        _onlineNext.Dispose();
        Parameters.Dispose();
        Gradients.Dispose();
        TargetParameters.Dispose();
    }

    private ArrayView<float> Input(ArrayView<float> observations, ArrayView<float> goals, int rows, MemoryBuffer1D<float, Stride1D.Dense> workspace)
    {
        if (GoalWidth == 0)
        {
            return observations;
        }

        ArrayView<float> input = workspace.View.SubView(0, (long)rows * _online.Inputs);
        _ops.ConcatColumns(observations, goals, rows, ObservationWidth, GoalWidth, input);
        return input;
    }
}
