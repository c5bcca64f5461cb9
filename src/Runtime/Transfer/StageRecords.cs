using System;
using System.Collections.Generic;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// A sequential schedule's records as checkpoint integer arrays: finished tasks' pathways, finished
/// stages' results and the running learning curve. Doubles travel as their bits. Decoding checks
/// every count against what is left, so a damaged array is a <see cref="CheckpointException"/>.
/// </summary>
internal static class StageRecords
{
    private const int EvaluationFields = 6;

    /// <summary>[tasks with a pathway, then per task: layers, then per layer: count, modules…].</summary>
    public static long[] EncodePathways(int[]?[][] pathways, int stage)
    {
        var values = new List<long>();
        var count = 0;
        while (count < pathways.Length && pathways[count] is not null) count++;
        values.Add(count);
        for (var task = 0; task < count; task++)
        {
            values.Add(pathways[task].Length);
            foreach (var layer in pathways[task])
            {
                values.Add(layer!.Length);
                foreach (var module in layer) values.Add(module);
            }
        }
        return values.ToArray();
    }

    public static int[][][] DecodePathways(long[] values, int tasks)
    {
        var reader = new Reader(values, "pathways");
        var count = reader.Count(tasks);
        var pathways = new int[tasks][][];
        for (var task = 0; task < count; task++)
        {
            var layers = reader.Count(1 << 10);
            pathways[task] = new int[layers][];
            for (var layer = 0; layer < layers; layer++)
            {
                var modules = new int[reader.Count(1 << 10)];
                for (var m = 0; m < modules.Length; m++) modules[m] = reader.Int(1 << 20);
                pathways[task][layer] = modules;
            }
        }
        reader.End();
        return pathways;
    }

    /// <summary>[stages, then per stage: stage, transitions, evaluation, curve].</summary>
    public static long[] EncodeResults(IReadOnlyList<StageResult> results)
    {
        var values = new List<long> { results.Count };
        foreach (var result in results)
        {
            values.Add(result.Stage);
            values.Add(result.Transitions);
            values.Add(result.Evaluation.Transitions);
            values.Add(result.Evaluation.Tasks.Count);
            foreach (var task in result.Evaluation.Tasks) Add(values, task);
            AddCurve(values, result.Curve);
        }
        return values.ToArray();
    }

    public static List<StageResult> DecodeResults(long[] values, SuccessSignal signal)
    {
        var reader = new Reader(values, "results");
        var count = reader.Count(1 << 16);
        var results = new List<StageResult>(count);
        for (var i = 0; i < count; i++)
        {
            var stage = reader.Int(1 << 16);
            var transitions = reader.Long();
            var evaluated = reader.Long();
            var tasks = new TaskEvaluation[reader.Count(1 << 16)];
            for (var t = 0; t < tasks.Length; t++) tasks[t] = ReadEvaluation(reader);
            var curve = ReadCurve(reader);
            results.Add(new StageResult(stage, transitions, new EvaluationResult(evaluated, signal, tasks), curve));
        }
        reader.End();
        return results;
    }

    public static long[] EncodeCurve(IReadOnlyList<StageCurvePoint> curve)
    {
        var values = new List<long>();
        AddCurve(values, curve);
        return values.ToArray();
    }

    public static List<StageCurvePoint> DecodeCurve(long[] values)
    {
        var reader = new Reader(values, "curve");
        var curve = ReadCurve(reader);
        reader.End();
        return curve;
    }

    private static void AddCurve(List<long> values, IReadOnlyList<StageCurvePoint> curve)
    {
        values.Add(curve.Count);
        foreach (var point in curve)
        {
            values.Add(point.StageTransitions);
            Add(values, point.Evaluation);
        }
    }

    private static List<StageCurvePoint> ReadCurve(Reader reader)
    {
        var count = reader.Count(1 << 24);
        var curve = new List<StageCurvePoint>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++) curve.Add(new StageCurvePoint(reader.Long(), ReadEvaluation(reader)));
        return curve;
    }

    private static void Add(List<long> values, TaskEvaluation task)
    {
        values.Add(task.Task);
        values.Add(task.Episodes);
        values.Add(BitConverter.DoubleToInt64Bits(task.MeanReturn));
        values.Add(BitConverter.DoubleToInt64Bits(task.ReturnStdDev));
        values.Add(BitConverter.DoubleToInt64Bits(task.SuccessRate));
        values.Add(BitConverter.DoubleToInt64Bits(task.MeanLength));
    }

    private static TaskEvaluation ReadEvaluation(Reader reader)
    {
        reader.Need(EvaluationFields);
        return new TaskEvaluation(reader.Int(1 << 16), reader.Int(int.MaxValue), reader.Double(), reader.Double(), reader.Double(), reader.Double());
    }

    /// <summary>Reads a checkpoint array front to back, refusing counts the rest cannot hold.</summary>
    private sealed class Reader(long[] values, string section)
    {
        private int _next;

        public void Need(int count)
        {
            if (values.Length - _next < count) throw Damaged();
        }

        public long Long()
        {
            Need(1);
            return values[_next++];
        }

        public double Double() => BitConverter.Int64BitsToDouble(Long());

        /// <summary>How many records follow: in [0, <paramref name="maximum"/>] and no more than values remain.</summary>
        public int Count(int maximum)
        {
            var value = Int(maximum);
            if (value > values.Length - _next) throw Damaged();
            return value;
        }

        /// <summary>A value in [0, <paramref name="maximum"/>].</summary>
        public int Int(int maximum)
        {
            var value = Long();
            if (value < 0 || value > maximum) throw Damaged();
            return (int)value;
        }

        public void End()
        {
            if (_next != values.Length) throw Damaged();
        }

        private CheckpointException Damaged() => new($"section 'sequential.{section}' is damaged (a count does not fit the {values.Length} values it holds)");
    }
}
