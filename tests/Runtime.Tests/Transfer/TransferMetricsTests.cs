using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Runtime.Tests.Transfer;

public sealed class TransferMetricsTests
{
    private static CurvePoint[] Curve(params (long Transitions, double Value)[] points) =>
        points.Select(p => new CurvePoint(p.Transitions, p.Value)).ToArray();

    private static void AssertNaN(double value) => Assert.True(double.IsNaN(value), $"expected NaN, got {value}");

    // ---- StepsToThreshold ----

    // Values are binary fractions, so every mean below is exact.
    private static readonly CurvePoint[] Rising = Curve((0, 0.25), (100, 0.5), (200, 1.0), (300, 0.5));

    [Fact]
    public void StepsToThresholdIsTheFirstPointAtOrAboveTheThreshold()
    {
        Assert.Equal(100, TransferMetrics.StepsToThreshold(Rising, 0.5));   // equality counts
        Assert.Equal(200, TransferMetrics.StepsToThreshold(Rising, 0.75));
        Assert.Equal(200, TransferMetrics.StepsToThreshold(Rising, 1.0));
        Assert.Null(TransferMetrics.StepsToThreshold(Rising, 1.5));         // never reached
    }

    [Fact]
    public void StepsToThresholdReachedAtTheFirstPointIsItsTransitions()
    {
        Assert.Equal(0, TransferMetrics.StepsToThreshold(Rising, 0.25));
        Assert.Equal(0, TransferMetrics.StepsToThreshold(Rising, -10));
        Assert.Equal(50, TransferMetrics.StepsToThreshold(Curve((50, 2.0), (60, 3.0)), 1.0));
    }

    [Fact]
    public void StepsToThresholdOfAnEmptyCurveIsNever()
    {
        Assert.Null(TransferMetrics.StepsToThreshold(Array.Empty<CurvePoint>(), -1e300));
        Assert.Null(TransferMetrics.StepsToThreshold(Array.Empty<CurvePoint>(), 0, window: 3));
    }

    [Fact]
    public void StepsToThresholdWithAWindowNeedsTheMeanOfFullWindows()
    {
        // Window 2: means 0.375 @100, 0.75 @200, 0.75 @300; the first point alone has no full window.
        Assert.Equal(100, TransferMetrics.StepsToThreshold(Rising, 0.375, window: 2));
        Assert.Equal(100, TransferMetrics.StepsToThreshold(Rising, 0.25, window: 2)); // not 0: point 0 has no full window
        Assert.Equal(200, TransferMetrics.StepsToThreshold(Rising, 0.75, window: 2));
        Assert.Null(TransferMetrics.StepsToThreshold(Rising, 0.8, window: 2));
        // Window 3: (0.25 + 0.5 + 1) / 3 = 0.583 @200, (0.5 + 1 + 0.5) / 3 = 0.667 @300.
        Assert.Equal(200, TransferMetrics.StepsToThreshold(Rising, 0.5, window: 3));
        Assert.Equal(300, TransferMetrics.StepsToThreshold(Rising, 0.6, window: 3));
        Assert.Equal(300, TransferMetrics.StepsToThreshold(Rising, 0.5, window: 4));
        // A window longer than the curve is never full.
        Assert.Null(TransferMetrics.StepsToThreshold(Rising, -100, window: 5));
        // A single lucky point does not pass a window of 2.
        var spike = Curve((0, 0.0), (10, 1.0), (20, 0.0), (30, 1.0), (40, 1.0));
        Assert.Equal(10, TransferMetrics.StepsToThreshold(spike, 1.0));
        Assert.Equal(40, TransferMetrics.StepsToThreshold(spike, 1.0, window: 2));
    }

    [Fact]
    public void StepsToThresholdRejectsBadArguments()
    {
        var window = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.StepsToThreshold(Rising, 0.5, window: 0));
        Assert.Equal("window", window.ParamName);
        Assert.Contains("at least 1", window.Message);
        var threshold = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.StepsToThreshold(Rising, double.NaN));
        Assert.Equal("threshold", threshold.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.StepsToThreshold(Rising, double.PositiveInfinity));
        Assert.Throws<ArgumentNullException>(() => TransferMetrics.StepsToThreshold(null!, 0.5));
    }

    [Fact]
    public void CurvesMustBeSortedNonNegativeAndFinite()
    {
        var unsorted = Assert.Throws<ArgumentException>(() => TransferMetrics.StepsToThreshold(Curve((0, 0), (200, 0), (100, 0)), 0.5));
        Assert.Equal("curve", unsorted.ParamName);
        Assert.Contains("curve[2] at 100 transitions does not come after curve[1] at 200", unsorted.Message);
        Assert.Contains("strictly increasing", unsorted.Message);
        var duplicate = Assert.Throws<ArgumentException>(() => TransferMetrics.AreaUnderCurve(Curve((0, 0), (100, 0), (100, 1)), 10));
        Assert.Contains("curve[2] at 100 transitions does not come after curve[1] at 100", duplicate.Message);
        var negative = Assert.Throws<ArgumentException>(() => TransferMetrics.AreaUnderCurve(Curve((-5, 0)), 10));
        Assert.Contains("curve[0] is at -5 transitions", negative.Message);
        var nan = Assert.Throws<ArgumentException>(() => TransferMetrics.AreaUnderCurve(Curve((0, 0), (5, double.NaN)), 10));
        Assert.Contains("curve[1] at 5 transitions has the value NaN", nan.Message);
        Assert.Throws<ArgumentException>(() => TransferMetrics.StepsToThreshold(Curve((0, double.PositiveInfinity)), 0));
    }

    // ---- AreaUnderCurve ----

    [Fact]
    public void AreaUnderCurveHoldsEachValueUntilTheNextPoint()
    {
        // [0, 100) 0.25, [100, 200) 0.5, [200, 400) 1 → (25 + 50 + 200) / 400.
        Assert.Equal(275.0 / 400, TransferMetrics.AreaUnderCurve(Curve((0, 0.25), (100, 0.5), (200, 1.0)), 400), 15);
        // A single point at 0 is its value.
        Assert.Equal(0.75, TransferMetrics.AreaUnderCurve(Curve((0, 0.75)), 1000), 15);
        // Budget 1: only transition 0 counts.
        Assert.Equal(0.25, TransferMetrics.AreaUnderCurve(Curve((0, 0.25), (1, 1.0)), 1), 15);
    }

    [Fact]
    public void AreaUnderCurveBeforeTheFirstPointUsesItsValueOrTheStartValue()
    {
        var late = Curve((100, 0.5), (300, 1.0));
        // [0, 100) 0.5 (the first point's value), [100, 300) 0.5, [300, 400) 1 → (50 + 100 + 100) / 400.
        Assert.Equal(0.625, TransferMetrics.AreaUnderCurve(late, 400), 15);
        // Start value 0: (0 + 100 + 100) / 400.
        Assert.Equal(0.5, TransferMetrics.AreaUnderCurve(late, 400, startValue: 0.0), 15);
        // A point at 0 leaves the start value no transition.
        Assert.Equal(0.25, TransferMetrics.AreaUnderCurve(Curve((0, 0.25)), 400, startValue: 100.0), 15);
    }

    [Fact]
    public void AreaUnderCurveIgnoresPointsAtOrPastTheBudget()
    {
        // [0, 300) 0.5, [300, 400) 1; the points at 400 and 500 hold over no transition of the budget.
        var curve = Curve((0, 0.5), (300, 1.0), (400, 0.0), (500, -7.0));
        Assert.Equal((150.0 + 100.0) / 400, TransferMetrics.AreaUnderCurve(curve, 400), 15);
        Assert.Equal(TransferMetrics.AreaUnderCurve(curve.Take(2).ToArray(), 400), TransferMetrics.AreaUnderCurve(curve, 400));
        // Budget 300 cuts at the second point: [0, 300) 0.5.
        Assert.Equal(0.5, TransferMetrics.AreaUnderCurve(curve, 300), 15);
        // Every point past the budget: the first point's value throughout, or the start value.
        Assert.Equal(0.75, TransferMetrics.AreaUnderCurve(Curve((500, 0.75), (600, 0.0)), 400), 15);
        Assert.Equal(0.25, TransferMetrics.AreaUnderCurve(Curve((500, 0.75)), 400, startValue: 0.25), 15);
    }

    [Fact]
    public void AreaUnderCurveOfAnEmptyCurveIsNaNOrTheStartValue()
    {
        AssertNaN(TransferMetrics.AreaUnderCurve(Array.Empty<CurvePoint>(), 100));
        Assert.Equal(0.25, TransferMetrics.AreaUnderCurve(Array.Empty<CurvePoint>(), 100, startValue: 0.25));
    }

    [Fact]
    public void AreaUnderCurveOfEvaluationsFromZeroIsTheirMean()
    {
        // Evaluations every 250 transitions from 0 with budget 1000: the plain mean of the four before the budget.
        var curve = Curve((0, 0.1), (250, 0.3), (500, 0.6), (750, 0.8), (1000, 0.9));
        Assert.Equal((0.1 + 0.3 + 0.6 + 0.8) / 4, TransferMetrics.AreaUnderCurve(curve, 1000), 14);
        // Evaluations at 250, …, 1000 only: (2·v₁ + v₂ + v₃) / 4.
        Assert.Equal((2 * 0.3 + 0.6 + 0.8) / 4, TransferMetrics.AreaUnderCurve(curve.Skip(1).ToArray(), 1000), 14);
    }

    [Fact]
    public void AreaUnderCurveRejectsBadArguments()
    {
        var budget = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.AreaUnderCurve(Rising, 0));
        Assert.Equal("budget", budget.ParamName);
        Assert.Contains("at least 1", budget.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.AreaUnderCurve(Rising, -5, 0.0));
        var start = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.AreaUnderCurve(Rising, 10, double.NaN));
        Assert.Equal("startValue", start.ParamName);
    }

    /// <summary>The value a transition sees, straight from the definition: the last point at or before it, else the start value.</summary>
    private static double BruteForceArea(IReadOnlyList<CurvePoint> curve, long budget, double start)
    {
        var sum = 0.0;
        for (long t = 0; t < budget; t++)
        {
            var value = start;
            foreach (var point in curve)
            {
                if (point.Transitions <= t) value = point.Value;
            }
            sum += value;
        }
        return sum / budget;
    }

    [Fact]
    public void AreaUnderCurveIsThePerTransitionMeanOnRandomCurves()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var trial = 0; trial < 300; trial++)
        {
            var budget = (long)random.Next(1, 2000);
            var last = budget + budget / 2;
            var count = (int)Math.Min(random.Next(0, 12), last + 1);
            // Distinct transitions in [0, 1.5·budget], some past the budget; 0 and the budget itself are drawn often.
            var transitions = new SortedSet<long>();
            while (transitions.Count < count)
            {
                transitions.Add(random.Next(4) switch
                {
                    0 => 0,
                    1 => budget,
                    _ => random.NextInt64(0, last + 1),
                });
            }
            var curve = transitions.Select(t => new CurvePoint(t, random.NextDouble() * 20 - 10)).ToArray();
            var start = random.NextDouble() * 20 - 10;
            var context = $"seed {seed}, trial {trial}, budget {budget}, curve [{string.Join(", ", curve)}]";

            var expected = curve.Length == 0 ? double.NaN : BruteForceArea(curve, budget, curve[0].Value);
            var actual = TransferMetrics.AreaUnderCurve(curve, budget);
            Assert.True(curve.Length == 0 ? double.IsNaN(actual) : Math.Abs(actual - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)),
                $"AUC {actual} but the per-transition mean is {expected} ({context})");

            var expectedStart = BruteForceArea(curve, budget, start);
            var actualStart = TransferMetrics.AreaUnderCurve(curve, budget, start);
            Assert.True(Math.Abs(actualStart - expectedStart) <= 1e-12 * Math.Max(1, Math.Abs(expectedStart)),
                $"AUC {actualStart} with start {start} but the per-transition mean is {expectedStart} ({context})");
        }
    }

    // ---- ForwardTransfer ----

    [Fact]
    public void ForwardTransferOfSuccessRatesIsContinualWorldsRatio()
    {
        Assert.Equal(0.5, TransferMetrics.ForwardTransfer(0.75, 0.5), 15);   // (0.75 − 0.5) / (1 − 0.5)
        Assert.Equal(0.0, TransferMetrics.ForwardTransfer(0.5, 0.5), 15);
        Assert.Equal(-0.5, TransferMetrics.ForwardTransfer(0.25, 0.5), 15);
        Assert.Equal(1.0, TransferMetrics.ForwardTransfer(1.0, 0.0), 15);
        Assert.Equal(0.25, TransferMetrics.ForwardTransfer(0.25, 0.0), 15);
        Assert.Equal(-3.0, TransferMetrics.ForwardTransfer(0.0, 0.75), 15);  // the lower bound −b / (1 − b)
        AssertNaN(TransferMetrics.ForwardTransfer(0.5, 1.0));                // a perfect baseline: undefined
        AssertNaN(TransferMetrics.ForwardTransfer(1.0, 1.0));
    }

    [Fact]
    public void ForwardTransferOfReturnsMapsTheRangeToZeroOneAndClips()
    {
        // [−100, 100]: 50 → 0.75, 0 → 0.5; (0.75 − 0.5) / 0.5.
        Assert.Equal(0.5, TransferMetrics.ForwardTransfer(50, 0, -100, 100), 15);
        // 20 → 0.75, −20 → 0.25 on [−40, 40]: 0.5 / 0.75.
        Assert.Equal(2.0 / 3, TransferMetrics.ForwardTransfer(20, -20, -40, 40), 15);
        // Clipped: 300 → 1, −200 → 0.
        Assert.Equal(1.0, TransferMetrics.ForwardTransfer(300, -200, -100, 100), 15);
        Assert.Equal(-1.0, TransferMetrics.ForwardTransfer(-500, 0, -100, 100), 15); // 0 vs 0.5
        // A scratch AUC at or above the maximum maps to 1: undefined.
        AssertNaN(TransferMetrics.ForwardTransfer(50, 100, -100, 100));
        AssertNaN(TransferMetrics.ForwardTransfer(50, 250, -100, 100));
        // With the range [0, 1] it is the success-rate form.
        Assert.Equal(TransferMetrics.ForwardTransfer(0.75, 0.5), TransferMetrics.ForwardTransfer(0.75, 0.5, 0, 1));
    }

    [Fact]
    public void ForwardTransferRejectsBadArguments()
    {
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(1.5, 0.5));
        Assert.Equal("auc", high.ParamName);
        Assert.Contains("[0, 1]", high.Message);
        Assert.Equal("aucScratch", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(0.5, -0.1)).ParamName);
        Assert.Equal("auc", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(double.NaN, 0.5)).ParamName);
        var empty = Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(1, 0, 5, 5));
        Assert.Equal("maximum", empty.ParamName);
        Assert.Contains("greater than the minimum", empty.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(1, 0, 10, -10));
        Assert.Equal("minimum", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(1, 0, double.NegativeInfinity, 10)).ParamName);
        Assert.Equal("auc", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.ForwardTransfer(double.NaN, 0, -10, 10)).ParamName);
    }

    // ---- SpeedUp ----

    [Fact]
    public void SpeedUpIsScratchStepsOverTransferSteps()
    {
        Assert.Equal(4.0, TransferMetrics.SpeedUp(100, 400));
        Assert.Equal(0.25, TransferMetrics.SpeedUp(400, 100));
        Assert.Equal(1.0, TransferMetrics.SpeedUp(300, 300));
        Assert.Null(TransferMetrics.SpeedUp(null, 100));   // transfer never reached it
        Assert.Null(TransferMetrics.SpeedUp(100, null));   // scratch never reached it
        Assert.Null(TransferMetrics.SpeedUp(null, null));
        Assert.Equal(double.PositiveInfinity, TransferMetrics.SpeedUp(0, 100)); // zero-shot
        Assert.Equal(1.0, TransferMetrics.SpeedUp(0, 0));
        Assert.Equal(0.0, TransferMetrics.SpeedUp(100, 0));
        Assert.Equal("transferSteps", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.SpeedUp(-1, 5)).ParamName);
        Assert.Equal("scratchSteps", Assert.Throws<ArgumentOutOfRangeException>(() => TransferMetrics.SpeedUp(5, -1)).ParamName);
    }

    // ---- TransferMatrix ----

    /// <summary>
    /// after stage 0: 0.8  0.1  0.2
    /// after stage 1: 0.6  0.9  0.3
    /// after stage 2: 0.5  0.7  1.0
    /// </summary>
    private static TransferMatrix Three()
    {
        var values = new[,] { { 0.8, 0.1, 0.2 }, { 0.6, 0.9, 0.3 }, { 0.5, 0.7, 1.0 } };
        var matrix = new TransferMatrix(3);
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++) matrix[i, j] = values[i, j];
        }
        return matrix;
    }

    [Fact]
    public void MatrixMetricsFollowGemAndChaudhry()
    {
        var matrix = Three();
        Assert.Equal(3, matrix.Tasks);
        // BWT = ((0.5 − 0.8) + (0.7 − 0.9)) / 2.
        Assert.Equal(-0.25, matrix.BackwardTransfer, 12);
        // ACC = (0.5 + 0.7 + 1.0) / 3.
        Assert.Equal(2.2 / 3, matrix.AverageFinal, 12);
        // Forgetting: max(0.8, 0.6) − 0.5; max(0.9) − 0.7; none for the last task.
        Assert.Equal(0.3, matrix.Forgetting(0), 12);
        Assert.Equal(0.2, matrix.Forgetting(1), 12);
        AssertNaN(matrix.Forgetting(2));
        Assert.Equal(0.25, matrix.AverageForgetting, 12);
        // FWT = ((R[0,1] − b₁) + (R[1,2] − b₂)) / 2 = ((0.1 − 0.05) + (0.3 − 0.1)) / 2; b₀ is not used.
        Assert.Equal(0.125, matrix.ForwardTransferZeroShot(new[] { 123.0, 0.05, 0.1 }), 12);
        Assert.Equal(0.125, matrix.ForwardTransferZeroShot(new[] { double.NaN, 0.05, 0.1 }), 12);
    }

    [Fact]
    public void ForgettingLooksOnlyAtStagesFromTheTasksOwnOn()
    {
        var matrix = Three();
        matrix[0, 1] = 0.95; // before task 1 was trained: not something to forget
        Assert.Equal(0.2, matrix.Forgetting(1), 12);
        // Better after the last stage than ever before: negative forgetting.
        matrix[2, 0] = 0.9;
        Assert.Equal(-0.1, matrix.Forgetting(0), 12);
        // The best stage need not be the task's own.
        matrix[1, 0] = 0.85;
        Assert.Equal(-0.05, matrix.Forgetting(0), 12);
    }

    [Fact]
    public void MissingEntriesMakeExactlyTheMetricsThatNeedThemNaN()
    {
        var matrix = Three();
        matrix[1, 1] = double.NaN;
        AssertNaN(matrix.BackwardTransfer);
        AssertNaN(matrix.Forgetting(1));
        Assert.Equal(0.3, matrix.Forgetting(0), 12);   // does not need R[1, 1]
        AssertNaN(matrix.AverageForgetting);
        Assert.Equal(2.2 / 3, matrix.AverageFinal, 12);
        Assert.Equal(0.125, matrix.ForwardTransferZeroShot(new[] { 0.0, 0.05, 0.1 }), 12);

        matrix = Three();
        matrix[2, 2] = double.NaN;                       // the last task's final value
        AssertNaN(matrix.AverageFinal);
        Assert.Equal(-0.25, matrix.BackwardTransfer, 12); // BWT does not use it
        matrix[0, 1] = double.NaN;
        AssertNaN(matrix.ForwardTransferZeroShot(new[] { 0.0, 0.05, 0.1 }));
        Assert.Equal(0.2, matrix.Forgetting(1), 12);
        AssertNaN(Three().ForwardTransferZeroShot(new[] { 0.0, double.NaN, 0.1 }));

        var empty = new TransferMatrix(2);
        AssertNaN(empty[0, 0]);
        AssertNaN(empty.BackwardTransfer);
        AssertNaN(empty.AverageFinal);
        AssertNaN(empty.Forgetting(0));
    }

    [Fact]
    public void OneTaskHasNoTransferButAFinalValue()
    {
        var matrix = new TransferMatrix(1);
        matrix[0, 0] = 0.75;
        AssertNaN(matrix.BackwardTransfer);
        AssertNaN(matrix.Forgetting(0));
        AssertNaN(matrix.AverageForgetting);
        AssertNaN(matrix.ForwardTransferZeroShot(new[] { 0.0 }));
        Assert.Equal(0.75, matrix.AverageFinal);
    }

    [Fact]
    public void MatrixRejectsBadArguments()
    {
        Assert.Equal("tasks", Assert.Throws<ArgumentOutOfRangeException>(() => new TransferMatrix(0)).ParamName);
        var matrix = Three();
        var stage = Assert.Throws<ArgumentOutOfRangeException>(() => matrix[3, 0]);
        Assert.Equal("stage", stage.ParamName);
        Assert.Contains("[0, 2]", stage.Message);
        Assert.Equal("task", Assert.Throws<ArgumentOutOfRangeException>(() => matrix[0, -1] = 1).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => matrix[0, 0] = double.PositiveInfinity).ParamName);
        Assert.Equal("task", Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Forgetting(3)).ParamName);
        var count = Assert.Throws<ArgumentException>(() => matrix.ForwardTransferZeroShot(new[] { 0.0, 0.0 }));
        Assert.Equal("baseline", count.ParamName);
        Assert.Contains("one per task (3)", count.Message);
        Assert.Throws<ArgumentException>(() => matrix.ForwardTransferZeroShot(new[] { 0.0, double.NegativeInfinity, 0.0 }));
        Assert.Throws<ArgumentNullException>(() => matrix.ForwardTransferZeroShot(null!));
    }

    [Fact]
    public void CloneIsIndependent()
    {
        var matrix = Three();
        var copy = matrix.Clone();
        matrix[2, 0] = 0.0;
        Assert.Equal(0.5, copy[2, 0]);
        Assert.Equal(-0.25, copy.BackwardTransfer, 12);
    }

    // ---- TransferReport ----

    private const long Budget = 400;

    /// <summary>Task 0 learns alike in the sequence and from scratch; task 1 gains from the sequence and fails from scratch.</summary>
    private static (TransferMatrix Matrix, CurvePoint[][] Transfer, CurvePoint[][] Scratch) TwoTasks()
    {
        var matrix = new TransferMatrix(2);
        matrix[0, 0] = 1.0;
        matrix[0, 1] = 0.25;
        matrix[1, 0] = 0.75;
        matrix[1, 1] = 1.0;
        var transfer = new[]
        {
            // AUC (0 + 25 + 50 + 100) / 400 = 0.4375, threshold 0.5 at 200.
            Curve((0, 0.0), (100, 0.25), (200, 0.5), (300, 1.0), (400, 1.0)),
            // AUC (25 + 75 + 100 + 100) / 400 = 0.75, threshold at 100.
            Curve((0, 0.25), (100, 0.75), (200, 1.0), (300, 1.0), (400, 1.0)),
        };
        var scratch = new[]
        {
            transfer[0],
            // AUC (12.5 + 0 + 25 + 25) / 400 = 0.15625; reaches 0.5 only past the budget.
            Curve((0, 0.125), (100, 0.0), (200, 0.25), (300, 0.25), (400, 0.25), (500, 1.0)),
        };
        return (matrix, transfer, scratch);
    }

    [Fact]
    public void ReportPutsEveryMetricTogether()
    {
        var (matrix, transfer, scratch) = TwoTasks();
        var report = TransferReport.Create(matrix, transfer, scratch, Budget, threshold: 0.5, minimum: null, maximum: null);

        Assert.Equal(2, report.Tasks.Count);
        var first = report.Tasks[0];
        Assert.Equal(new TaskTransfer(0, Budget, 0.5, 200, 200, 1.0, 0.4375, 0.4375, 0.0, 1.0, 0.75, 0.25), first);

        var second = report.Tasks[1];
        Assert.Equal(1, second.Task);
        Assert.Equal(100, second.TransferSteps);
        Assert.Null(second.ScratchSteps);   // the point at 500 is past the budget
        Assert.Null(second.SpeedUp);
        Assert.Equal(0.75, second.TransferAuc, 15);
        Assert.Equal(0.15625, second.ScratchAuc, 15);
        Assert.Equal(19.0 / 27, second.ForwardTransfer, 14); // (0.75 − 0.15625) / (1 − 0.15625) = (19/32) / (27/32)
        Assert.Equal(1.0, second.AfterOwnStage);
        Assert.Equal(1.0, second.AfterLastStage);
        AssertNaN(second.Forgetting);

        Assert.Equal(-0.25, report.BackwardTransfer, 15);
        Assert.Equal(0.875, report.AverageFinal, 15);
        Assert.Equal(0.25, report.AverageForgetting, 15);
        Assert.Equal(19.0 / 54, report.AverageForwardTransfer, 14);
        // Scratch curves begin at 0, so b = (0, 0.125): R[0, 1] − b₁ = 0.25 − 0.125.
        Assert.Equal(0.125, report.ZeroShotForwardTransfer, 15);
        Assert.Equal(Budget, report.Budget);
        Assert.Equal(0.5, report.Threshold);
        Assert.Null(report.Minimum);
        Assert.Null(report.Maximum);

        // The report keeps its own copy of the matrix.
        matrix[1, 0] = 0.0;
        Assert.Equal(0.75, report.Matrix[1, 0]);
    }

    [Fact]
    public void ReportWithoutScratchRunsLeavesTheComparisonsUnknown()
    {
        var (matrix, transfer, _) = TwoTasks();
        var report = TransferReport.Create(matrix, transfer, null, Budget, 0.5, null, null);
        foreach (var task in report.Tasks)
        {
            Assert.Null(task.ScratchSteps);
            Assert.Null(task.SpeedUp);
            AssertNaN(task.ScratchAuc);
            AssertNaN(task.ForwardTransfer);
        }
        Assert.Equal(200, report.Tasks[0].TransferSteps);
        AssertNaN(report.AverageForwardTransfer);
        AssertNaN(report.ZeroShotForwardTransfer);
        Assert.Equal(-0.25, report.BackwardTransfer, 15);
    }

    [Fact]
    public void ReportOfReturnsUsesTheRangeAndToleratesEmptyCurves()
    {
        var matrix = new TransferMatrix(1);
        matrix[0, 0] = 60;
        var transfer = new[] { Curve((0, 40.0), (50, 60.0)) };           // AUC 50, reaches 0 at 0
        var scratch = new[] { Curve((10, -50.0)) };                      // AUC −50, never reaches 0, does not begin at 0
        var report = TransferReport.Create(matrix, transfer, scratch, 100, threshold: 0, minimum: -100, maximum: 100);
        var task = report.Tasks[0];
        Assert.Equal(50, task.TransferAuc, 15);
        Assert.Equal(-50, task.ScratchAuc, 15);
        Assert.Equal(2.0 / 3, task.ForwardTransfer, 15);                 // 0.75 vs 0.25
        Assert.Equal(0, task.TransferSteps);
        Assert.Null(task.ScratchSteps);
        Assert.Null(task.SpeedUp);
        AssertNaN(report.BackwardTransfer);                              // T = 1
        AssertNaN(report.ZeroShotForwardTransfer);
        Assert.Equal(60, report.AverageFinal);
        Assert.Equal(-100, report.Minimum);

        var empty = TransferReport.Create(matrix, new[] { Array.Empty<CurvePoint>() }, scratch, 100, 0, -100, 100);
        AssertNaN(empty.Tasks[0].TransferAuc);
        AssertNaN(empty.Tasks[0].ForwardTransfer);
        Assert.Null(empty.Tasks[0].TransferSteps);
    }

    [Fact]
    public void ReportRejectsBadArguments()
    {
        var (matrix, transfer, scratch) = TwoTasks();
        var count = Assert.Throws<ArgumentException>(() => TransferReport.Create(matrix, transfer.Take(1).ToArray(), scratch, Budget, 0.5, null, null));
        Assert.Equal("transferCurves", count.ParamName);
        Assert.Contains("1 curves; the matrix has 2 tasks", count.Message);
        Assert.Equal("scratchCurves", Assert.Throws<ArgumentException>(() => TransferReport.Create(matrix, transfer, scratch.Take(1).ToArray(), Budget, 0.5, null, null)).ParamName);
        Assert.Equal("budget", Assert.Throws<ArgumentOutOfRangeException>(() => TransferReport.Create(matrix, transfer, scratch, 0, 0.5, null, null)).ParamName);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => TransferReport.Create(matrix, transfer, scratch, Budget, double.NaN, null, null)).ParamName);

        var half = Assert.Throws<ArgumentException>(() => TransferReport.Create(matrix, transfer, scratch, Budget, 0.5, -1.0, null));
        Assert.Equal("maximum", half.ParamName);
        Assert.Contains("both ends", half.Message);
        Assert.Equal("maximum", Assert.Throws<ArgumentOutOfRangeException>(() => TransferReport.Create(matrix, transfer, scratch, Budget, 0.5, 1.0, 1.0)).ParamName);

        var unsorted = scratch.ToArray();
        unsorted[1] = Curve((0, 0.0), (50, 0.0), (20, 0.0));
        var order = Assert.Throws<ArgumentException>(() => TransferReport.Create(matrix, transfer, unsorted, Budget, 0.5, null, null));
        Assert.Equal("scratchCurves", order.ParamName);
        Assert.Contains("scratchCurves[1][2] at 20 transitions does not come after scratchCurves[1][1] at 50", order.Message);

        // Returns without a range: the AUC is not a success rate.
        var returns = new[] { transfer[0], Curve((0, 30.0)) };
        var range = Assert.Throws<ArgumentException>(() => TransferReport.Create(matrix, returns, scratch, Budget, 0.5, null, null));
        Assert.Equal("minimum", range.ParamName);
        Assert.Contains("transferCurves[1] has the AUC 30, outside [0, 1]", range.Message);
        Assert.Throws<ArgumentNullException>(() => TransferReport.Create(null!, transfer, scratch, Budget, 0.5, null, null));
    }
}
