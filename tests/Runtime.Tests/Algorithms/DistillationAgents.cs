using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>
/// GridWorld teachers with exact Q tables (value iteration on the map), tabular students, and a
/// body-plus-head network that is both a Q network and a feature network, for the distillation
/// and Distral tests.
/// </summary>
internal static class DistillationAgents
{
    /// <summary>A 5 × 6 room with two tasks whose goals sit in opposite corners.</summary>
    public static GridWorldLayout SmallRoom() => new(
        [
            "######",
            "#....#",
            "#....#",
            "#....#",
            "######",
        ],
        [new GridCell(1, 1), new GridCell(3, 4)]);

    /// <summary>Two 3 × 3 rooms joined by a doorway, four tasks with a goal in each outer corner.</summary>
    public static GridWorldLayout TwoRooms() => new(
        [
            "#########",
            "#...#...#",
            "#.......#",
            "#...#...#",
            "#########",
        ],
        [new GridCell(1, 1), new GridCell(3, 1), new GridCell(1, 7), new GridCell(3, 7)]);

    /// <summary>Step cost 0.01 and a 60-step limit: the optimal return is 1 − 0.01·(steps − 1).</summary>
    public static GridWorldOptions GridOptions(GridWorldLayout? layout = null) => new()
    {
        Layout = layout ?? GridWorldLayout.FourRooms(),
        StepCost = 0.01f,
        MaxEpisodeSteps = 60,
    };

    public static GridWorldVectorEnvironment GridWorld(int environments, GridWorldOptions options, Accelerator? accelerator = null) =>
        new(environments, options, accelerator: accelerator);

    /// <summary>Each task's optimal Q(cell, action), cells × 4, by value iteration with the environment's rules.</summary>
    public static float[][] OptimalQ(GridWorldOptions options, double gamma)
    {
        var layout = options.Layout;
        var cells = layout.Width * layout.Height;
        var tables = new float[layout.TaskGoals.Count][];
        for (var task = 0; task < tables.Length; task++)
        {
            var goal = layout.GoalCells[task];
            var q = new double[cells * 4];
            for (var sweep = 0; sweep < 500; sweep++)
            {
                for (var cell = 0; cell < cells; cell++)
                {
                    for (var a = 0; a < 4; a++)
                    {
                        var next = layout.Transitions[cell * 4 + a];
                        q[cell * 4 + a] = next == goal ? options.GoalReward : -options.StepCost + gamma * Max(q, next);
                    }
                }
            }
            tables[task] = Array.ConvertAll(q, v => (float)v);
        }
        return tables;
    }

    private static double Max(double[] q, int cell) => Math.Max(Math.Max(q[cell * 4], q[cell * 4 + 1]), Math.Max(q[cell * 4 + 2], q[cell * 4 + 3]));

    /// <summary>A teacher answering from a Q table: one linear layer over the one-hot cell whose weights are the table.</summary>
    public static (IQNetwork Network, ParameterStore Store) TableTeacher(float[] table, int cells, int maxBatch)
    {
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "teacher", cells).Linear(4);
        var store = new ParameterStore(builder.Build());
        table.CopyTo(store.Values, 0); // the weight [cells, 4] is the first slice; the bias after it stays 0
        return (new SequentialQNetwork(chain.Bind(store, maxBatch), cells), store);
    }

    /// <summary>One table teacher per task.</summary>
    public static (IQNetwork[] Networks, ParameterStore[] Stores) TableTeachers(GridWorldOptions options, double gamma, int maxBatch)
    {
        var tables = OptimalQ(options, gamma);
        var cells = options.Layout.Width * options.Layout.Height;
        var networks = new IQNetwork[tables.Length];
        var stores = new ParameterStore[tables.Length];
        for (var t = 0; t < tables.Length; t++) (networks[t], stores[t]) = TableTeacher(tables[t], cells, maxBatch);
        return (networks, stores);
    }
}

/// <summary>
/// A body chain followed by a head chain, both bound to one store; two such networks built from
/// the same body builder share the body's parameters (the student's Q head and Actor-Mimic's
/// feature predictor). Observation only, no goals.
/// </summary>
internal sealed class BodyHeadNetwork : IQNetwork, IFeatureNetwork
{
    private readonly Sequential _body;
    private readonly Sequential _head;
    private readonly float[] _input;
    private readonly float[] _hidden;
    private readonly float[] _hiddenGradient;
    private int _rows;

    public BodyHeadNetwork(Sequential body, Sequential head)
    {
        _body = body;
        _head = head;
        _input = new float[body.MaxBatch * body.Inputs];
        _hidden = new float[body.MaxBatch * body.Outputs];
        _hiddenGradient = new float[body.MaxBatch * body.Outputs];
    }

    public int MaxBatch => _body.MaxBatch;

    public int ObservationWidth => _body.Inputs;

    public int GoalWidth => 0;

    public int ActionCount => _head.Outputs;

    public int Width => _head.Outputs;

    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs)
    {
        _rows = inputs.Count;
        inputs.Observations.Slice(0, _rows * _body.Inputs).CopyTo(_input);
        _body.Forward(_input, _rows, inputs.Tasks).CopyTo(_hidden);
        return _head.Forward(_hidden, _rows, inputs.Tasks);
    }

    public void UseGemm(GemmBackend backend, Accelerator? accelerator)
    {
        _body.UseGemm(backend, accelerator);
        _head.UseGemm(backend, accelerator);
    }

    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        var hidden = _hiddenGradient.AsSpan(0, _rows * _body.Outputs);
        _head.Backward(outputGradient, hidden);
        _body.Backward(hidden);
    }

    /// <summary>Binds <paramref name="body"/> and <paramref name="head"/> to <paramref name="store"/>.</summary>
    public static BodyHeadNetwork Bind(SequentialBuilder body, SequentialBuilder head, ParameterStore store, int maxBatch) =>
        new(body.Bind(store, maxBatch), head.Bind(store, maxBatch));
}
