using System;
using System.Collections.Generic;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// Transfer-learning metrics as pure functions of learning curves: how soon a task is learned
/// (<see cref="StepsToThreshold"/>, <see cref="SpeedUp"/>), how well it is learned over its whole
/// budget (<see cref="AreaUnderCurve(IReadOnlyList{CurvePoint}, long)"/>) and how much a sequence
/// of earlier tasks helped against training the task alone from a fresh network
/// (<see cref="ForwardTransfer(double, double)"/>, Wołczyk et al. 2021). The metrics over the
/// stage-by-task evaluation matrix (GEM's backward and zero-shot forward transfer, Chaudhry's
/// forgetting) are on <see cref="TransferMatrix"/>; <see cref="TransferReport"/> puts both together.
/// </summary>
/// <remarks>
/// A curve is one task's evaluations during one stage, x = transitions since the stage began.
/// Every function checks its curve: points sorted by strictly increasing
/// <see cref="CurvePoint.Transitions"/>, no negative transition count, every value finite.
/// </remarks>
public static class TransferMetrics
{
    /// <summary>
    /// The transitions count of the first point at which the curve reaches
    /// <paramref name="threshold"/> (value ≥ threshold), or <see langword="null"/> if no point does
    /// (an empty curve never does).
    /// </summary>
    /// <param name="curve">The learning curve, sorted by transitions.</param>
    /// <param name="threshold">The value to reach (a finite number, in the curve's units).</param>
    /// <param name="window">
    /// Points averaged (≥ 1). With a window of w the curve reaches the threshold at the first point k
    /// that has w points up to and including it (k ≥ w − 1, 0-based) whose mean is ≥ threshold; the
    /// count reported is point k's. A window of 1 is the point itself; a curve with fewer than w points
    /// never reaches it. Averaging guards against one lucky evaluation.
    /// </param>
    /// <exception cref="ArgumentException">The curve is not sorted, has a negative transitions count or a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not finite or the window is below 1.</exception>
    public static long? StepsToThreshold(IReadOnlyList<CurvePoint> curve, double threshold, int window = 1)
    {
        CheckCurve(curve, nameof(curve), nameof(curve));
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold must be a finite number");
        }
        if (window < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be at least 1 point");
        }
        for (var k = window - 1; k < curve.Count; k++)
        {
            var sum = 0.0;
            for (var j = k - window + 1; j <= k; j++) sum += curve[j].Value;
            if (sum / window >= threshold) return curve[k].Transitions;
        }
        return null;
    }

    /// <summary>
    /// The area under the curve over the budget [0, <paramref name="budget"/>) divided by the
    /// budget, i.e. the curve's mean value over the stage; NaN for an empty curve.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The curve is read as piecewise constant, each evaluation holding until the next one (the agent
    /// evaluated after t transitions is the best knowledge of the agent until the next evaluation):
    /// v(t) is the value of the last point with Transitions ≤ t, and before the first point it is the
    /// first point's value (<see cref="AreaUnderCurve(IReadOnlyList{CurvePoint}, long, double)"/>
    /// takes a start value instead). Then AUC = (1/B)·∫₀^B v(t) dt, which, since every breakpoint is
    /// an integer, is exactly the per-transition mean (1/B)·Σ_{t=0}^{B−1} v(t).
    /// </para>
    /// <para>
    /// Points at or past the budget do not contribute (a point exactly at B holds over no
    /// transition of the budget), except that the first point's value is the start value even when
    /// that point lies at or past the budget. With B = n·h and evaluations v₀, v₁, … every h
    /// transitions from 0 (a point at B, if any, not counting) the AUC is the plain mean
    /// (v₀ + … + v_{n−1}) / n, Continual World's estimate; with evaluations v₁, …, v_n at h, 2h, …, B
    /// it is (2·v₁ + v₂ + … + v_{n−1}) / n — give a start value or evaluate at 0 to avoid counting v₁ twice.
    /// </para>
    /// </remarks>
    /// <param name="curve">The learning curve, sorted by transitions.</param>
    /// <param name="budget">Transitions of the stage (≥ 1).</param>
    /// <exception cref="ArgumentException">The curve is not sorted, has a negative transitions count or a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The budget is below 1.</exception>
    public static double AreaUnderCurve(IReadOnlyList<CurvePoint> curve, long budget)
    {
        CheckCurve(curve, nameof(curve), nameof(curve));
        CheckBudget(budget, nameof(budget));
        return curve.Count == 0 ? double.NaN : Area(curve, budget, curve[0].Value);
    }

    /// <summary>
    /// <see cref="AreaUnderCurve(IReadOnlyList{CurvePoint}, long)"/> with the value
    /// <paramref name="startValue"/> before the curve's first point (for an empty curve the area is
    /// the start value). Useful when the stage did not begin with an evaluation but its starting value
    /// is known, e.g. a fresh network's return, or GEM's R[i − 1, i] for a task in a sequence.
    /// </summary>
    /// <param name="curve">The learning curve, sorted by transitions.</param>
    /// <param name="budget">Transitions of the stage (≥ 1).</param>
    /// <param name="startValue">The value from transition 0 up to the first point (finite).</param>
    /// <exception cref="ArgumentException">The curve is not sorted, has a negative transitions count or a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The budget is below 1 or the start value is not finite.</exception>
    public static double AreaUnderCurve(IReadOnlyList<CurvePoint> curve, long budget, double startValue)
    {
        CheckCurve(curve, nameof(curve), nameof(curve));
        CheckBudget(budget, nameof(budget));
        if (!double.IsFinite(startValue))
        {
            throw new ArgumentOutOfRangeException(nameof(startValue), startValue, "the start value must be a finite number");
        }
        return Area(curve, budget, startValue);
    }

    /// <summary>
    /// Forward transfer of one task as Continual World defines it (Wołczyk et al. 2021, arXiv
    /// 2105.10919): FT = (AUC − AUC_scratch) / (1 − AUC_scratch), for AUCs of success rates in
    /// [0, 1]. 1 means the task was solved from its first transition, 0 no better than a fresh
    /// network, negative worse (down to −AUC_scratch / (1 − AUC_scratch)).
    /// </summary>
    /// <param name="auc">The task's AUC in the sequence, in [0, 1].</param>
    /// <param name="aucScratch">The task's AUC trained alone from a fresh network with the same budget, in [0, 1].</param>
    /// <returns>The forward transfer, or NaN when <paramref name="aucScratch"/> is 1 (a perfect baseline leaves nothing to gain, and the ratio is undefined).</returns>
    /// <exception cref="ArgumentOutOfRangeException">An AUC is outside [0, 1] or NaN.</exception>
    public static double ForwardTransfer(double auc, double aucScratch)
    {
        CheckUnit(auc, nameof(auc));
        CheckUnit(aucScratch, nameof(aucScratch));
        return NormalisedForwardTransfer(auc, aucScratch);
    }

    /// <summary>
    /// Forward transfer for AUCs of returns: both AUCs are first mapped to [0, 1] by
    /// (AUC − <paramref name="minimum"/>) / (<paramref name="maximum"/> − <paramref name="minimum"/>)
    /// and clipped to [0, 1] (an AUC below the minimum counts as 0, above the maximum as 1), then
    /// <see cref="ForwardTransfer(double, double)"/> applies. The range plays the role of 0 and 100 %
    /// success, e.g. a random policy's return and the best return known for the task. The AUC is
    /// linear in the curve, so mapping the AUC equals the AUC of the mapped curve; only the clipping
    /// is applied to the AUC rather than point by point.
    /// </summary>
    /// <param name="auc">The task's AUC of returns in the sequence (finite).</param>
    /// <param name="aucScratch">The task's AUC of returns trained alone from a fresh network (finite).</param>
    /// <param name="minimum">The return taken as 0 (finite).</param>
    /// <param name="maximum">The return taken as 1 (finite, greater than <paramref name="minimum"/>).</param>
    /// <returns>The forward transfer, or NaN when the scratch AUC maps to 1 or above.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not finite, or the maximum is not above the minimum.</exception>
    public static double ForwardTransfer(double auc, double aucScratch, double minimum, double maximum)
    {
        CheckReturnRange(minimum, maximum, nameof(minimum), nameof(maximum));
        CheckFinite(auc, nameof(auc));
        CheckFinite(aucScratch, nameof(aucScratch));
        return NormalisedForwardTransfer(ToUnit(auc, minimum, maximum), ToUnit(aucScratch, minimum, maximum));
    }

    /// <summary>
    /// How many times faster the task reached its threshold in the sequence than from scratch:
    /// scratch steps / transfer steps (both from <see cref="StepsToThreshold"/>).
    /// </summary>
    /// <param name="transferSteps">Steps to threshold in the sequence; <see langword="null"/> = never reached.</param>
    /// <param name="scratchSteps">Steps to threshold from scratch; <see langword="null"/> = never reached.</param>
    /// <returns>
    /// <see langword="null"/> when either side never reached the threshold (the ratio is unknown; the
    /// steps themselves, kept by <see cref="TaskTransfer"/>, say which side failed). When the sequence
    /// reached it at 0 transitions (zero-shot): +∞ if scratch needed more, 1 if scratch was at 0 too.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">A steps count is negative.</exception>
    public static double? SpeedUp(long? transferSteps, long? scratchSteps)
    {
        if (transferSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(transferSteps), transferSteps, "steps to threshold must be at least 0 (or null for never)");
        }
        if (scratchSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scratchSteps), scratchSteps, "steps to threshold must be at least 0 (or null for never)");
        }
        if (transferSteps is not { } transfer || scratchSteps is not { } scratch) return null;
        if (transfer == 0) return scratch == 0 ? 1.0 : double.PositiveInfinity;
        return (double)scratch / transfer;
    }

    /// <summary>Throws unless the curve is sorted by strictly increasing transitions (≥ 0) and every value is finite.</summary>
    /// <param name="curve">The curve.</param>
    /// <param name="parameterName">The parameter the exception names.</param>
    /// <param name="label">How the message names the curve (e.g. <c>transferCurves[2]</c>).</param>
    internal static void CheckCurve(IReadOnlyList<CurvePoint>? curve, string parameterName, string label)
    {
        if (curve is null) throw new ArgumentNullException(parameterName, $"{label} is null");
        for (var k = 0; k < curve.Count; k++)
        {
            var point = curve[k];
            if (point.Transitions < 0)
            {
                throw new ArgumentException($"{label}[{k}] is at {point.Transitions} transitions; transitions must be at least 0", parameterName);
            }
            if (k > 0 && point.Transitions <= curve[k - 1].Transitions)
            {
                throw new ArgumentException(
                    $"{label}[{k}] at {point.Transitions} transitions does not come after {label}[{k - 1}] at {curve[k - 1].Transitions}; "
                    + "a curve must be sorted by strictly increasing transitions", parameterName);
            }
            if (!double.IsFinite(point.Value))
            {
                throw new ArgumentException($"{label}[{k}] at {point.Transitions} transitions has the value {point.Value}; values must be finite", parameterName);
            }
        }
    }

    internal static void CheckBudget(long budget, string parameterName)
    {
        if (budget < 1) throw new ArgumentOutOfRangeException(parameterName, budget, "the budget must be at least 1 transition");
    }

    internal static void CheckReturnRange(double minimum, double maximum, string minimumName, string maximumName)
    {
        CheckFinite(minimum, minimumName);
        CheckFinite(maximum, maximumName);
        if (!(minimum < maximum))
        {
            throw new ArgumentOutOfRangeException(maximumName, maximum, $"the maximum return must be greater than the minimum ({minimum})");
        }
    }

    internal static double ToUnit(double value, double minimum, double maximum) => Math.Clamp((value - minimum) / (maximum - minimum), 0.0, 1.0);

    internal static double NormalisedForwardTransfer(double auc, double aucScratch) =>
        aucScratch >= 1.0 ? double.NaN : (auc - aucScratch) / (1.0 - aucScratch);

    private static double Area(IReadOnlyList<CurvePoint> curve, long budget, double startValue)
    {
        var sum = 0.0;
        var value = startValue;
        var from = 0L;
        for (var k = 0; k < curve.Count; k++)
        {
            var point = curve[k];
            if (point.Transitions >= budget) break;
            sum += value * (point.Transitions - from);
            value = point.Value;
            from = point.Transitions;
        }
        sum += value * (budget - from);
        return sum / budget;
    }

    private static void CheckUnit(double value, string parameterName)
    {
        if (!(value >= 0.0 && value <= 1.0))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, "must be in [0, 1] (a success rate's AUC); for returns give the return range");
        }
    }

    private static void CheckFinite(double value, string parameterName)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(parameterName, value, "must be a finite number");
    }
}
