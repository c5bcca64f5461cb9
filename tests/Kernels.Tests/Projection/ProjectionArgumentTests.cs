using System;
using Xunit;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class ProjectionArgumentTests
{
    private static readonly float[] Block = new float[3 * 4];

    private static T Throws<T>(string parameter, string fragment, Action action)
        where T : ArgumentException
    {
        T error = Assert.Throws<T>(action);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void SizesAreCheckedAndNamed()
    {
        Throws<ArgumentOutOfRangeException>("taskCount", "at least 1", () => PcGrad.Project(Block, 0, 4, 1, 2, 3, GradientReduction.Sum, new float[4]));
        Throws<ArgumentOutOfRangeException>("parameterCount", "at least 0", () => PcGrad.Project(Block, 3, -1, 1, 2, 3, GradientReduction.Sum, new float[4]));
        Throws<ArgumentException>("taskGradients", "3 × 5 = 15 floats", () => PcGrad.Project(Block, 3, 5, 1, 2, 3, GradientReduction.Sum, new float[5]));
        Throws<ArgumentException>("output", "parameterCount = 4", () => PcGrad.Project(Block, 3, 4, 1, 2, 3, GradientReduction.Sum, new float[3]));
        Throws<ArgumentException>("output", "must not overlap", () => PcGrad.Project(Block, 3, 4, 1, 2, 3, GradientReduction.Sum, Block.AsSpan(8, 4)));
        Throws<ArgumentException>("workspace", "taskCount = 2, parameterCount = 4", () => PcGrad.Project(Block, 3, 4, 1, 2, 3, GradientReduction.Sum, new float[4], new ProjectionWorkspace(2, 4)));
        Throws<ArgumentOutOfRangeException>("reduction", "Sum or GradientReduction.Mean", () => PcGrad.Project(Block, 3, 4, 1, 2, 3, (GradientReduction)5, new float[4]));
        Throws<ArgumentOutOfRangeException>("method", "Blocked or GramMethod.Gemm", () => PcGrad.Project(Block, 3, 4, 1, 2, 3, GradientReduction.Sum, new float[4], gramMethod: (GramMethod)9));
        Throws<ArgumentOutOfRangeException>("taskCount", "at most 1024", () => new ProjectionWorkspace(1025, 1));
        Throws<ArgumentException>("gram", "taskCount × taskCount = 9", () => GradientGram.Compute(Block, 3, 4, new double[8]));
        Throws<ArgumentException>("weights", "taskCount = 3", () => WeightedGradientSum.Combine(Block, 3, 4, new double[2], new float[4]));
    }

    [Fact]
    public void OrdersAreChecked()
    {
        float[] output = new float[4];
        Throws<ArgumentException>("orders", "= 6 task indices", () => PcGrad.Project(Block, 3, 4, [1, 2, 0, 2, 0], GradientReduction.Sum, output));
        Throws<ArgumentOutOfRangeException>("orders", "orders[1, 0] (flat index 2) must be a task in [0, 2]", () => PcGrad.Project(Block, 3, 4, [1, 2, 3, 2, 0, 1], GradientReduction.Sum, output));
        Throws<ArgumentException>("orders", "row 1 must list the other tasks; position 1 holds task 1", () => PcGrad.Project(Block, 3, 4, [1, 2, 0, 1, 0, 1], GradientReduction.Sum, output));
        Throws<ArgumentException>("orders", "row 2 lists task 0 twice", () => PcGrad.Project(Block, 3, 4, [1, 2, 0, 2, 0, 0], GradientReduction.Sum, output));
        Throws<ArgumentException>("orders", "= 6 task indices", () => PcGradOrders.Draw(new int[5], 3, 1, 2, 3));
        Throws<ArgumentOutOfRangeException>("taskCount", "at least 1", () => PcGradOrders.CountersUsed(0));
    }

    [Fact]
    public void CaGradOptionsAreChecked()
    {
        float[] output = new float[4];
        Throws<ArgumentOutOfRangeException>("c", "finite and at least 0", () => CaGrad.Combine(Block, 3, 4, -0.1, GradientReduction.Mean, output));
        Throws<ArgumentOutOfRangeException>("c", "finite and at least 0", () => CaGrad.Combine(Block, 3, 4, double.NaN, GradientReduction.Mean, output));
        Throws<ArgumentOutOfRangeException>("rescale", "None, OnePlusCSquared or OnePlusC", () => CaGrad.Combine(Block, 3, 4, 0.5, GradientReduction.Mean, output, (CaGradRescale)3));
        Throws<ArgumentOutOfRangeException>("phi", "finite and at least 0", () => CaGradSolver.Solve(new double[9], 3, double.PositiveInfinity, new double[3], new double[24]));
        Throws<ArgumentException>("scratch", "at least 8 × taskCount = 24", () => CaGradSolver.Solve(new double[9], 3, 1, new double[3], new double[23]));
        double[] gram = { 1, 0, 0, 0, 1, 0, 0, double.NaN, 1 };
        Throws<ArgumentException>("gram", "element (2, 1) is NaN", () => CaGradSolver.Solve(gram, 3, 1, new double[3], new double[24]));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void ANonFiniteGramMatrixGivesNaNWeightsInsteadOfASearchThatNeverEnds(double value)
    {
        // An overflowed task gradient reaches the solver as ±∞ or NaN in the Gram matrix; the search's
        // stopping tests are all comparisons, which NaN never satisfies, so the solver must stop first.
        for (int position = 0; position < 9; position++)
        {
            double[] gram = { 2, 0.5, 0.1, 0.5, 3, 0.2, 0.1, 0.2, 1 };
            gram[position] = value;
            double[] x = new double[3];
            Assert.Equal(0, CaGradSolver.SolveUnchecked(gram, 3, 0.7, x, new double[24]));
            Assert.All(x, w => Assert.True(double.IsNaN(w)));
        }
    }

    [Fact]
    public void GradNormInputsAreChecked()
    {
        double[] two = [1, 1];
        Throws<ArgumentException>("weightedGradientNorms", "taskCount = 2", () => GradNorm.UpdateWeights(two, [1], two, two, 1.5, 0.1));
        Throws<ArgumentOutOfRangeException>("weights", "weights[1] must be finite and greater than 0", () => GradNorm.UpdateWeights(new double[] { 1, 0 }, two, two, two, 1.5, 0.1));
        Throws<ArgumentOutOfRangeException>("initialLosses", "initialLosses[0] must be finite and greater than 0", () => GradNorm.UpdateWeights(new double[] { 1, 1 }, two, [0, 1], two, 1.5, 0.1));
        Throws<ArgumentOutOfRangeException>("currentLosses", "currentLosses[1] must be finite and at least 0", () => GradNorm.UpdateWeights(new double[] { 1, 1 }, two, two, [1, -1], 1.5, 0.1));
        Throws<ArgumentOutOfRangeException>("alpha", "finite and at least 0", () => GradNorm.UpdateWeights(new double[] { 1, 1 }, two, two, two, -1, 0.1));
        Throws<ArgumentOutOfRangeException>("learningRate", "greater than 0", () => GradNorm.UpdateWeights(new double[] { 1, 1 }, two, two, two, 1, 0));
        Throws<ArgumentOutOfRangeException>("minimumWeight", "(0, 1]", () => GradNorm.UpdateWeights(new double[] { 1, 1 }, two, two, two, 1, 0.1, 0));
        Throws<ArgumentException>("weights", "at least 1", () => GradNorm.UpdateWeights(Span<double>.Empty, [], [], [], 1, 0.1));
    }
}
