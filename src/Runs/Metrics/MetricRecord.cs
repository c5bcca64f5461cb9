using System.Collections.Generic;

namespace Mtrl.Runs.Metrics;

/// <summary>One named number.</summary>
public readonly record struct Metric(string Name, double Value);

/// <summary>
/// The numbers of one log point or evaluation, for one task or (<see cref="Task"/> null) across
/// tasks: the unit every metrics file writes and reads back.
/// </summary>
/// <param name="Kind"><see cref="MetricKinds.Train"/> (training episodes and losses) or <see cref="MetricKinds.Eval"/> (greedy evaluation).</param>
/// <param name="Transitions">Training transitions at this point (the x axis).</param>
/// <param name="Seconds">Wall-clock seconds since the run started (not reproducible; never compared).</param>
/// <param name="Task">The task, or null for the whole run or the aggregate across tasks.</param>
/// <param name="Values">The numbers, in a fixed order per kind; NaN where there is none yet.</param>
public sealed record MetricRecord(string Kind, long Transitions, double Seconds, int? Task, IReadOnlyList<Metric> Values)
{
    /// <summary>The value named <paramref name="name"/>, or NaN when the record has none.</summary>
    public double this[string name]
    {
        get
        {
            foreach (var metric in Values)
            {
                if (metric.Name == name) return metric.Value;
            }
            return double.NaN;
        }
    }
}

/// <summary>The kinds of record a run writes.</summary>
public static class MetricKinds
{
    /// <summary>A log point of training: episodes finished while exploring, loss, speed.</summary>
    public const string Train = "train";

    /// <summary>A greedy evaluation of every task.</summary>
    public const string Eval = "eval";
}
