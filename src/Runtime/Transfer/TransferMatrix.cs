using System;
using System.Collections.Generic;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// The evaluation matrix of a task sequence: R[i, j] is the evaluation (mean return or success
/// rate) of task j after stage i, the stage that trained task i; NaN = not evaluated. Stages and
/// tasks are numbered from 0 and there is one stage per task. The metrics follow Lopez-Paz and
/// Ranzato (2017, GEM, arXiv 1706.08840) and Chaudhry et al. (2018, arXiv 1801.10112), whose tasks
/// are numbered from 1: their R_{T,i} is <c>this[Tasks − 1, i − 1]</c>.
/// </summary>
/// <remarks>
/// A metric that needs an entry which is NaN is NaN: nothing is averaged over a subset, so a
/// missing evaluation is never mistaken for a smaller or larger transfer.
/// </remarks>
public sealed class TransferMatrix
{
    private readonly double[] _values;

    /// <summary>A matrix for <paramref name="tasks"/> tasks (and as many stages), every entry NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tasks"/> is below 1.</exception>
    public TransferMatrix(int tasks)
    {
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "a task sequence has at least 1 task");
        Tasks = tasks;
        _values = new double[tasks * tasks];
        Array.Fill(_values, double.NaN);
    }

    /// <summary>Tasks in the sequence, which is also the number of stages.</summary>
    public int Tasks { get; }

    /// <summary>R[stage, task]: task <paramref name="task"/> evaluated after stage <paramref name="stage"/>; NaN = not evaluated.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, Tasks − 1], or a value set is ±∞.</exception>
    public double this[int stage, int task]
    {
        get => _values[Index(stage, task)];
        set
        {
            var index = Index(stage, task);
            if (double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"R[{stage}, {task}] must be finite, or NaN for not evaluated");
            }
            _values[index] = value;
        }
    }

    /// <summary>
    /// GEM's backward transfer: BWT = 1/(T − 1) · Σ_{i=0}^{T−2} (R[T − 1, i] − R[i, i]), how much
    /// the later stages changed each earlier task's evaluation after its own stage (negative =
    /// forgotten). NaN when T = 1 or an entry it needs is NaN.
    /// </summary>
    public double BackwardTransfer
    {
        get
        {
            var last = Tasks - 1;
            if (last == 0) return double.NaN;
            var sum = 0.0;
            for (var i = 0; i < last; i++) sum += this[last, i] - this[i, i];
            return sum / last;
        }
    }

    /// <summary>GEM's average accuracy ACC: the mean of the last row, every task after the last stage. NaN when an entry is NaN.</summary>
    public double AverageFinal
    {
        get
        {
            var sum = 0.0;
            for (var j = 0; j < Tasks; j++) sum += this[Tasks - 1, j];
            return sum / Tasks;
        }
    }

    /// <summary>
    /// Chaudhry et al.'s average forgetting after the last stage: the mean of
    /// <see cref="Forgetting"/> over tasks 0 … T − 2. NaN when T = 1 or any of them is NaN.
    /// </summary>
    public double AverageForgetting
    {
        get
        {
            var last = Tasks - 1;
            if (last == 0) return double.NaN;
            var sum = 0.0;
            for (var j = 0; j < last; j++) sum += Forgetting(j);
            return sum / last;
        }
    }

    /// <summary>
    /// Forgetting of one task after the last stage, as Chaudhry et al. (2018) define it:
    /// max_{s ∈ [task, T − 2]} R[s, task] − R[T − 1, task], the best the task ever was before the
    /// last stage minus what is left. The maximum runs from the task's own stage on (before it the
    /// task was never trained, so a higher untrained value is nothing to forget). Positive =
    /// forgotten; negative when the last stage left the task better than it ever was.
    /// </summary>
    /// <returns>The forgetting; NaN for the last task (no later stage can make it forget) or when an entry it needs is NaN.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is outside [0, Tasks − 1].</exception>
    public double Forgetting(int task)
    {
        if (task < 0 || task >= Tasks)
        {
            throw new ArgumentOutOfRangeException(nameof(task), task, $"the task must be in [0, {Tasks - 1}]");
        }
        var last = Tasks - 1;
        if (task == last) return double.NaN;
        var best = double.NegativeInfinity;
        for (var stage = task; stage < last; stage++)
        {
            var value = this[stage, task];
            if (double.IsNaN(value)) return double.NaN;
            best = Math.Max(best, value);
        }
        return best - this[last, task];
    }

    /// <summary>
    /// GEM's forward transfer FWT = 1/(T − 1) · Σ_{i=1}^{T−1} (R[i − 1, i] − b_i): how much better
    /// each task does before its own stage, after the stages of the tasks before it, than
    /// <paramref name="baseline"/> b_i, its evaluation with a freshly initialised network (zero-shot
    /// transfer; Continual World's AUC-based <see cref="TransferMetrics.ForwardTransfer(double, double)"/>
    /// measures transfer during training instead).
    /// </summary>
    /// <param name="baseline">b_j for every task j (Tasks entries; b_0 is not used, as no stage comes before task 0); NaN = unknown.</param>
    /// <returns>The forward transfer; NaN when T = 1 or an entry it needs is NaN.</returns>
    /// <exception cref="ArgumentException">The baseline does not have one entry per task, or an entry is ±∞.</exception>
    public double ForwardTransferZeroShot(IReadOnlyList<double> baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        if (baseline.Count != Tasks)
        {
            throw new ArgumentException($"the baseline has {baseline.Count} entries; it needs one per task ({Tasks})", nameof(baseline));
        }
        for (var j = 0; j < Tasks; j++)
        {
            if (double.IsInfinity(baseline[j]))
            {
                throw new ArgumentException($"baseline[{j}] is {baseline[j]}; entries must be finite, or NaN for unknown", nameof(baseline));
            }
        }
        var last = Tasks - 1;
        if (last == 0) return double.NaN;
        var sum = 0.0;
        for (var i = 1; i <= last; i++) sum += this[i - 1, i] - baseline[i];
        return sum / last;
    }

    /// <summary>A copy with the same entries.</summary>
    public TransferMatrix Clone()
    {
        var copy = new TransferMatrix(Tasks);
        Array.Copy(_values, copy._values, _values.Length);
        return copy;
    }

    private int Index(int stage, int task)
    {
        if (stage < 0 || stage >= Tasks)
        {
            throw new ArgumentOutOfRangeException(nameof(stage), stage, $"the stage must be in [0, {Tasks - 1}]");
        }
        if (task < 0 || task >= Tasks)
        {
            throw new ArgumentOutOfRangeException(nameof(task), task, $"the task must be in [0, {Tasks - 1}]");
        }
        return stage * Tasks + task;
    }
}
