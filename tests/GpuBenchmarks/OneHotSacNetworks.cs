using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// CPU twins of a plain-MLP (MT-)SAC agent for the device learner's tests and the SAC benchmark: a <see cref="Sequential"/>
/// reading observation ⊕ goal ⊕ one-hot(task) (⊕ action for a critic), the input a generated agent's
/// <c>concat(obs, onehot(task), action)</c> builds, as the device's <c>DeviceSacInputPacker</c> does.
/// </summary>
internal sealed class OneHotSacRows(int maxBatch, int observationWidth, int goalWidth, int tasks, int actionWidth)
{
    private readonly float[] _input = new float[maxBatch * (observationWidth + goalWidth + tasks + actionWidth)];

    public int Width { get; } = observationWidth + goalWidth + tasks + actionWidth;

    public int ObservationWidth => observationWidth;

    public int GoalWidth => goalWidth;

    public float[] Pack(scoped in NetworkInputs inputs, ReadOnlySpan<float> actions)
    {
        for (int i = 0; i < inputs.Count; i++)
        {
            Span<float> row = _input.AsSpan(i * Width, Width);
            row.Clear();
            inputs.Observations.Slice(i * observationWidth, observationWidth).CopyTo(row);
            if (goalWidth > 0)
            {
                inputs.Goals.Slice(i * goalWidth, goalWidth).CopyTo(row[observationWidth..]);
            }

            if (tasks > 0)
            {
                row[observationWidth + goalWidth + (inputs.Tasks.IsEmpty ? 0 : inputs.Tasks[i])] = 1f;
            }

            if (actionWidth > 0)
            {
                actions.Slice(i * actionWidth, actionWidth).CopyTo(row[(observationWidth + goalWidth + tasks)..]);
            }
        }

        return _input;
    }
}

/// <summary>A tanh-Gaussian policy over a <see cref="Sequential"/> with the one-hot task input.</summary>
internal sealed class OneHotSacPolicy(Sequential network, ParameterLayout layout, int observationWidth, int goalWidth, int tasks, int actions) : IPolicyNetwork
{
    private readonly OneHotSacRows _rows = new(network.MaxBatch, observationWidth, goalWidth, tasks, 0);

    public int MaxBatch => network.MaxBatch;

    public int ObservationWidth => observationWidth;

    public int GoalWidth => goalWidth;

    public int ActionSize => actions;

    public bool IsStochastic => true;

    public IReadOnlyList<ParameterSlice> TrainedSlices { get; } = layout.SlicesUnder("actor");

    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs) => network.Forward(_rows.Pack(inputs, default), inputs.Count, inputs.Tasks);

    public void Backward(ReadOnlySpan<float> outputGradient) => network.Backward(outputGradient);

    public void UseGemm(GemmBackend backend, Accelerator? accelerator) => network.UseGemm(backend, accelerator);
}

/// <summary>A critic Q(s, a) over a <see cref="Sequential"/> with the one-hot task input before the action.</summary>
internal sealed class OneHotSacCritic(Sequential network, ParameterLayout layout, int observationWidth, int goalWidth, int tasks, int actions) : ICriticNetwork
{
    private readonly OneHotSacRows _rows = new(network.MaxBatch, observationWidth, goalWidth, tasks, actions);
    private readonly float[] _inputGradient = new float[network.MaxBatch * network.Inputs];
    private readonly float[] _actionGradient = new float[network.MaxBatch * actions];
    private int _count;

    public int MaxBatch => network.MaxBatch;

    public int ObservationWidth => observationWidth;

    public int GoalWidth => goalWidth;

    public int ActionSize => actions;

    public IReadOnlyList<ParameterSlice> TrainedSlices { get; } = layout.SlicesUnder("critic");

    public ReadOnlySpan<float> ActionGradient => _actionGradient.AsSpan(0, _count * actions);

    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs, ReadOnlySpan<float> actionValues)
    {
        _count = inputs.Count;
        return network.Forward(_rows.Pack(inputs, actionValues), inputs.Count, inputs.Tasks);
    }

    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        int width = network.Inputs;
        network.Backward(outputGradient, _inputGradient.AsSpan(0, _count * width));
        for (int i = 0; i < _count; i++)
        {
            _inputGradient.AsSpan((i * width) + width - actions, actions).CopyTo(_actionGradient.AsSpan(i * actions, actions));
        }
    }

    public void UseGemm(GemmBackend backend, Accelerator? accelerator) => network.UseGemm(backend, accelerator);
}
