using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Evaluation;

/// <summary>One task's greedy episodes: mean and spread of the return, success rate, mean length.</summary>
/// <param name="Task">Task id.</param>
/// <param name="Episodes">Episodes counted.</param>
/// <param name="MeanReturn">Mean undiscounted return.</param>
/// <param name="ReturnStdDev">Population standard deviation of the return.</param>
/// <param name="SuccessRate">Share of successful episodes; NaN when the environment has no success signal.</param>
/// <param name="MeanLength">Mean episode length in steps.</param>
public sealed record TaskEvaluation(int Task, int Episodes, double MeanReturn, double ReturnStdDev, double SuccessRate, double MeanLength);

/// <summary>
/// A value across tasks the way multi-task results are compared: the average task, the median
/// task and the worst task (a method that solves most tasks but fails one shows it here).
/// </summary>
public readonly record struct AcrossTasks(double Average, double Median, double Worst)
{
    /// <summary>Average, median and minimum of <paramref name="values"/> (NaN for none or any NaN).</summary>
    public static AcrossTasks Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0 || sorted.Any(double.IsNaN)) return new AcrossTasks(double.NaN, double.NaN, double.NaN);
        Array.Sort(sorted);
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle]);
        return new AcrossTasks(sorted.Average(), median, sorted[0]);
    }
}

/// <summary>A greedy evaluation of every task at one point of training.</summary>
/// <param name="Transitions">Training transitions when the evaluation ran (the x axis of learning curves).</param>
/// <param name="Signal">What success means in the evaluated environment.</param>
/// <param name="Tasks">One entry per task, in task order.</param>
public sealed record EvaluationResult(long Transitions, SuccessSignal Signal, IReadOnlyList<TaskEvaluation> Tasks)
{
    /// <summary>Mean return across tasks.</summary>
    public AcrossTasks Return => AcrossTasks.Of(Tasks.Select(t => t.MeanReturn));

    /// <summary>Success rate across tasks (NaN without a success signal).</summary>
    public AcrossTasks Success => AcrossTasks.Of(Tasks.Select(t => t.SuccessRate));

    /// <summary>Mean episode length across tasks.</summary>
    public AcrossTasks Length => AcrossTasks.Of(Tasks.Select(t => t.MeanLength));
}
