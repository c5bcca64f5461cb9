using System;
using System.Collections.Generic;
using System.Linq;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// The transfer results of a task sequence: per task (<see cref="TaskTransfer"/>) and over the
/// sequence — GEM's backward transfer, average final value and zero-shot forward transfer,
/// Chaudhry's average forgetting and Continual World's average forward transfer.
/// </summary>
/// <param name="Tasks">One entry per task, in task order.</param>
/// <param name="Matrix">A copy of the evaluation matrix the report was made from.</param>
/// <param name="BackwardTransfer"><see cref="TransferMatrix.BackwardTransfer"/>.</param>
/// <param name="AverageFinal"><see cref="TransferMatrix.AverageFinal"/>.</param>
/// <param name="AverageForgetting"><see cref="TransferMatrix.AverageForgetting"/>.</param>
/// <param name="AverageForwardTransfer">Mean of the tasks' <see cref="TaskTransfer.ForwardTransfer"/> over all tasks (Continual World averages over the whole sequence, the first task included); NaN when any is NaN.</param>
/// <param name="ZeroShotForwardTransfer">
/// <see cref="TransferMatrix.ForwardTransferZeroShot"/> with b_i the first point of task i's
/// from-scratch curve, a fresh network's evaluation — available when every from-scratch curve
/// begins at 0 transitions; NaN otherwise.
/// </param>
/// <param name="Budget">Transitions of each stage.</param>
/// <param name="Threshold">The value steps to threshold are counted to.</param>
/// <param name="Minimum">The return mapped to 0 for forward transfer; <see langword="null"/> for success rates.</param>
/// <param name="Maximum">The return mapped to 1 for forward transfer; <see langword="null"/> for success rates.</param>
public sealed record TransferReport(
    IReadOnlyList<TaskTransfer> Tasks,
    TransferMatrix Matrix,
    double BackwardTransfer,
    double AverageFinal,
    double AverageForgetting,
    double AverageForwardTransfer,
    double ZeroShotForwardTransfer,
    long Budget,
    double Threshold,
    double? Minimum,
    double? Maximum)
{
    /// <summary>
    /// Computes every metric of a task sequence from its evaluation matrix, each task's learning
    /// curve during its own stage and, optionally, each task's curve trained alone from a fresh
    /// network with the same budget.
    /// </summary>
    /// <param name="matrix">R[stage, task] after every stage.</param>
    /// <param name="transferCurves">Task i's curve during stage i (x = transitions since the stage began), one per task.</param>
    /// <param name="scratchCurves">Task i's curve trained alone from a fresh network, one per task; <see langword="null"/> when there is no such baseline (speed-up and forward transfer are then unknown).</param>
    /// <param name="budget">Transitions of each stage (≥ 1). Curve points past it count for no metric.</param>
    /// <param name="threshold">The value steps to threshold are counted to (finite; window of 1 point).</param>
    /// <param name="minimum">For curves of returns: the return mapped to 0 for forward transfer. Give both or neither.</param>
    /// <param name="maximum">For curves of returns: the return mapped to 1 (greater than <paramref name="minimum"/>).</param>
    /// <exception cref="ArgumentException">
    /// A list does not have one curve per task, a curve is not sorted or has a non-finite value, only
    /// one end of the return range is given, or without a range an AUC lies outside [0, 1].
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The budget is below 1, the threshold is not finite, or the range is empty.</exception>
    public static TransferReport Create(
        TransferMatrix matrix,
        IReadOnlyList<IReadOnlyList<CurvePoint>> transferCurves,
        IReadOnlyList<IReadOnlyList<CurvePoint>>? scratchCurves,
        long budget,
        double threshold,
        double? minimum,
        double? maximum)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(transferCurves);
        var tasks = matrix.Tasks;
        CheckCount(transferCurves, tasks, nameof(transferCurves));
        if (scratchCurves is not null) CheckCount(scratchCurves, tasks, nameof(scratchCurves));
        TransferMetrics.CheckBudget(budget, nameof(budget));
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold must be a finite number");
        }
        if (minimum.HasValue != maximum.HasValue)
        {
            throw new ArgumentException(
                $"the return range needs both ends (minimum {Describe(minimum)}, maximum {Describe(maximum)}); give both for returns or neither for success rates",
                minimum.HasValue ? nameof(maximum) : nameof(minimum));
        }
        if (minimum is { } low && maximum is { } high) TransferMetrics.CheckReturnRange(low, high, nameof(minimum), nameof(maximum));
        for (var i = 0; i < tasks; i++)
        {
            TransferMetrics.CheckCurve(transferCurves[i], nameof(transferCurves), $"{nameof(transferCurves)}[{i}]");
            if (scratchCurves is not null) TransferMetrics.CheckCurve(scratchCurves[i], nameof(scratchCurves), $"{nameof(scratchCurves)}[{i}]");
        }

        var snapshot = matrix.Clone();
        var results = new TaskTransfer[tasks];
        for (var i = 0; i < tasks; i++)
        {
            var transfer = transferCurves[i];
            var scratch = scratchCurves?[i];
            var transferSteps = TransferMetrics.StepsToThreshold(WithinBudget(transfer, budget), threshold);
            var scratchSteps = scratch is null ? null : TransferMetrics.StepsToThreshold(WithinBudget(scratch, budget), threshold);
            var transferAuc = TransferMetrics.AreaUnderCurve(transfer, budget);
            var scratchAuc = scratch is null ? double.NaN : TransferMetrics.AreaUnderCurve(scratch, budget);
            results[i] = new TaskTransfer(
                i,
                budget,
                threshold,
                transferSteps,
                scratchSteps,
                TransferMetrics.SpeedUp(transferSteps, scratchSteps),
                transferAuc,
                scratchAuc,
                ForwardTransferOf(i, transferAuc, scratchAuc, minimum, maximum),
                snapshot[i, i],
                snapshot[tasks - 1, i],
                snapshot.Forgetting(i));
        }

        var zeroShot = double.NaN;
        if (scratchCurves is not null && scratchCurves.All(c => c.Count > 0 && c[0].Transitions == 0))
        {
            zeroShot = snapshot.ForwardTransferZeroShot(scratchCurves.Select(c => c[0].Value).ToArray());
        }
        return new TransferReport(
            results,
            snapshot,
            snapshot.BackwardTransfer,
            snapshot.AverageFinal,
            snapshot.AverageForgetting,
            results.Average(t => t.ForwardTransfer),
            zeroShot,
            budget,
            threshold,
            minimum,
            maximum);
    }

    private static double ForwardTransferOf(int task, double auc, double aucScratch, double? minimum, double? maximum)
    {
        if (double.IsNaN(auc) || double.IsNaN(aucScratch)) return double.NaN;
        if (minimum is { } low && maximum is { } high) return TransferMetrics.ForwardTransfer(auc, aucScratch, low, high);
        CheckUnitAuc(auc, "transferCurves", task);
        CheckUnitAuc(aucScratch, "scratchCurves", task);
        return TransferMetrics.ForwardTransfer(auc, aucScratch);
    }

    private static void CheckUnitAuc(double auc, string curves, int task)
    {
        if (auc is < 0.0 or > 1.0)
        {
            throw new ArgumentException(
                $"{curves}[{task}] has the AUC {auc.ToString(System.Globalization.CultureInfo.InvariantCulture)}, outside [0, 1]: "
                + "forward transfer of returns needs the return range (minimum and maximum)",
                "minimum");
        }
    }

    private static IReadOnlyList<CurvePoint> WithinBudget(IReadOnlyList<CurvePoint> curve, long budget)
    {
        var count = 0;
        while (count < curve.Count && curve[count].Transitions <= budget) count++;
        return count == curve.Count ? curve : curve.Take(count).ToArray();
    }

    private static void CheckCount(IReadOnlyList<IReadOnlyList<CurvePoint>> curves, int tasks, string parameterName)
    {
        if (curves.Count != tasks)
        {
            throw new ArgumentException($"{parameterName} has {curves.Count} curves; the matrix has {tasks} tasks and each needs one", parameterName);
        }
    }

    private static string Describe(double? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not given";
}
