using System;
using System.Linq;
using Mtrl.Runtime.Losses;
using Xunit;

namespace Mtrl.Runtime.Tests;

/// <summary>
/// The distillation losses against their formulas written out here in float64, and their gradients
/// against central finite differences of those formulas.
/// </summary>
public class DistillationLossTests
{
    // ───────────────────────────── float64 references ─────────────────────────────

    private static double[] Row(double[] x, int b, int n) => x.Skip(b * n).Take(n).ToArray();

    /// <summary>log softmax(c·z), stable.</summary>
    private static double[] LogSoftmax(double[] z, double c = 1)
    {
        var max = z.Max();
        var logSum = Math.Log(z.Sum(v => Math.Exp(c * (v - max))));
        return z.Select(v => c * (v - max) - logSum).ToArray();
    }

    private static double[] Softmax(double[] z, double c = 1) => LogSoftmax(z, c).Select(Math.Exp).ToArray();

    /// <summary>Rusu Eq. 3: mean over rows of Σ_a p_T (log p_T − log p_S), p_T = softmax(q_T/τ).</summary>
    private static double KlReference(double[] student, double[] teacher, int batch, int n, double tau) =>
        Enumerable.Range(0, batch).Average(b =>
        {
            var logP = LogSoftmax(Row(teacher, b, n), 1 / tau);
            var logQ = LogSoftmax(Row(student, b, n));
            return Enumerable.Range(0, n).Sum(a => Math.Exp(logP[a]) == 0 ? 0 : Math.Exp(logP[a]) * (logP[a] - logQ[a]));
        });

    /// <summary>Parisotto Eq. 2 (as a loss): mean over rows of −Σ_a π_E log π_S, π_E = softmax(Q_E/τ).</summary>
    private static double CrossEntropyReference(double[] student, double[] expert, int batch, int n, double tau) =>
        Enumerable.Range(0, batch).Average(b =>
        {
            var pE = Softmax(Row(expert, b, n), 1 / tau);
            var logQ = LogSoftmax(Row(student, b, n));
            return -Enumerable.Range(0, n).Sum(a => pE[a] == 0 ? 0 : pE[a] * logQ[a]);
        });

    /// <summary>Distral Eq. 2 written literally: (1/β) log Σ_a π_0(a)^α exp(β Q(a)) (moderate values only).</summary>
    private static double SoftValueLiteral(double[] h, double[] q, double alpha, double beta)
    {
        var pi0 = Softmax(h);
        return Math.Log(Enumerable.Range(0, h.Length).Sum(a => Math.Pow(pi0[a], alpha) * Math.Exp(beta * q[a]))) / beta;
    }

    /// <summary>Distral Eq. 2 as a log-sum-exp (for large β or large values).</summary>
    private static double SoftValueStable(double[] h, double[] q, double alpha, double beta)
    {
        var logPi0 = LogSoftmax(h);
        var u = Enumerable.Range(0, h.Length).Select(a => alpha * logPi0[a] + beta * q[a]).ToArray();
        var max = u.Max();
        return (max + Math.Log(u.Sum(v => Math.Exp(v - max)))) / beta;
    }

    private static void SameValue(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected)),
            $"{what}: {actual:R} differs from {expected:R} by more than {tolerance:E0} relative");

    private static void AllFinite(ReadOnlySpan<float> values, string what)
    {
        for (var i = 0; i < values.Length; i++) Assert.True(float.IsFinite(values[i]), $"{what}[{i}] = {values[i]}");
    }

    // ───────────────────────────── policy distillation ─────────────────────────────

    [Theory]
    [InlineData(1.0, 11)]
    [InlineData(0.1, 12)]
    [InlineData(0.01, 13)]
    [InlineData(5.0, 14)]
    public void KlTemperatureMatchesTheFormulaAndFiniteDifferences(double tau, int seed)
    {
        const int batch = 4, n = 6;
        const float scale = 0.7f;
        var student = Numerics.Random(batch * n, seed, 2f);
        var teacher = Numerics.Random(batch * n, seed + 100, 3f);
        var t64 = Numerics.ToDouble(teacher);
        double Loss(double[] s) => scale * KlReference(s, t64, batch, n, (float)tau);

        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.KlTemperature(student, teacher, gradient, batch, n, (float)tau, scale);
        SameValue(Loss(Numerics.ToDouble(student)), loss, 1e-10, "KL loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(student)), 1e-5, "KL gradient");
        Assert.Equal(loss, DistillationLoss.KlTemperature(student, teacher, default, batch, n, (float)tau, scale));
    }

    [Theory]
    [InlineData(1e-20f)]
    [InlineData(float.Epsilon)]
    public void KlTemperatureWithASharpTeacherIsTheArgmaxNll(float tau)
    {
        const int batch = 5, n = 4;
        var student = Numerics.Random(batch * n, 21, 3f);
        var teacher = Numerics.Random(batch * n, 22, 50f);
        var klGradient = Numerics.Poisoned(batch * n);
        var nllGradient = Numerics.Poisoned(batch * n);
        var kl = DistillationLoss.KlTemperature(student, teacher, klGradient, batch, n, tau);
        var nll = DistillationLoss.NllTeacherArgmax(student, teacher, nllGradient, batch, n);
        Assert.True(double.IsFinite(kl));
        SameValue(nll, kl, 1e-12, "KL with τ → 0 against NLL");
        AllFinite(klGradient, "KL gradient");
        for (var i = 0; i < batch * n; i++) Assert.Equal(nllGradient[i], klGradient[i], 1e-7f);
    }

    [Fact]
    public void KlTemperatureWithASmallTauStaysFiniteAndExact()
    {
        const int batch = 3, n = 5;
        const double tau = 1e-3;
        var student = Numerics.Random(batch * n, 31, 2f);
        var teacher = Numerics.Random(batch * n, 32, 10f);
        var t64 = Numerics.ToDouble(teacher);
        double Loss(double[] s) => KlReference(s, t64, batch, n, (float)tau);
        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.KlTemperature(student, teacher, gradient, batch, n, (float)tau);
        Assert.True(double.IsFinite(loss));
        SameValue(Loss(Numerics.ToDouble(student)), loss, 1e-10, "sharp KL loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(student)), 1e-5, "sharp KL gradient");
    }

    [Fact]
    public void NllTeacherArgmaxMatchesTheFormulaAndFiniteDifferences()
    {
        const int batch = 4, n = 5;
        const float scale = 1.5f;
        var student = Numerics.Random(batch * n, 41, 2f);
        var teacher = Numerics.Random(batch * n, 42, 2f);
        var targets = Enumerable.Range(0, batch).Select(b =>
        {
            var row = teacher.Skip(b * n).Take(n).ToArray();
            return Array.IndexOf(row, row.Max());
        }).ToArray();
        double Loss(double[] s) => scale * Enumerable.Range(0, batch).Average(b => -LogSoftmax(Row(s, b, n))[targets[b]]);

        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.NllTeacherArgmax(student, teacher, gradient, batch, n, scale);
        SameValue(Loss(Numerics.ToDouble(student)), loss, 1e-10, "NLL loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(student)), 1e-5, "NLL gradient");
    }

    [Fact]
    public void NllTeacherArgmaxBreaksTiesTowardsTheLowestIndex()
    {
        const int n = 4;
        float[] teacher = [1, 3, 3, 0, /**/ 2, 2, 2, 2, /**/ -1, -5, -1, -1, /**/ 0, 0, 5, 5];
        int[] expected = [1, 0, 0, 2];
        var batch = expected.Length;
        var student = Numerics.Random(batch * n, 51, 1f);
        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.NllTeacherArgmax(student, teacher, gradient, batch, n);
        var s64 = Numerics.ToDouble(student);
        SameValue(Enumerable.Range(0, batch).Average(b => -LogSoftmax(Row(s64, b, n))[expected[b]]), loss, 1e-10, "NLL with ties");
        for (var b = 0; b < batch; b++)
        {
            var p = Softmax(Row(s64, b, n));
            for (var a = 0; a < n; a++) Assert.Equal(p[a] - (a == expected[b] ? 1 : 0), gradient[b * n + a] * batch, 1e-6);
        }
    }

    [Fact]
    public void ANaNTeacherGivesANaNLossNotAnException()
    {
        const int batch = 2, n = 3;
        var student = Numerics.Random(batch * n, 61);
        float[] teacher = [0.5f, 0.1f, 0.2f, 0.3f, float.NaN, 0.1f];
        var gradient = Numerics.Poisoned(batch * n);
        Assert.True(double.IsNaN(DistillationLoss.NllTeacherArgmax(student, teacher, gradient, batch, n)));
        AllFinite(gradient.AsSpan(0, n), "gradient of the finite row");
        Assert.All(gradient.Skip(n), g => Assert.True(float.IsNaN(g)));
        Assert.True(double.IsNaN(DistillationLoss.KlTemperature(student, teacher, gradient, batch, n, 0.1f)));
        Assert.True(double.IsNaN(DistillationLoss.PolicyRegression(student, teacher, gradient, batch, n, 1f)));
        Assert.True(double.IsNaN(DistillationLoss.MseQ(student, teacher, gradient, batch, n)));
    }

    [Fact]
    public void MseQSumsOverActionsAndAveragesOverRows()
    {
        const int batch = 3, n = 7;
        const float scale = 0.25f;
        var student = Numerics.Random(batch * n, 71, 4f);
        var teacher = Numerics.Random(batch * n, 72, 4f);
        var t64 = Numerics.ToDouble(teacher);
        double Loss(double[] s) => scale * Enumerable.Range(0, batch).Average(b =>
            Enumerable.Range(0, n).Sum(a => Math.Pow(s[b * n + a] - t64[b * n + a], 2)));

        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.MseQ(student, teacher, gradient, batch, n, scale);
        SameValue(Loss(Numerics.ToDouble(student)), loss, 1e-10, "MSE-Q loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(student)), 1e-6, "MSE-Q gradient");
        // Loss.MeanSquaredError averages over all batch × actions elements; MseQ only over rows.
        SameValue(n * Losses.Loss.MeanSquaredError(student, teacher, default, batch * n, scale), loss, 1e-6, "MSE-Q against Loss.MeanSquaredError");
    }

    // ───────────────────────────── Actor-Mimic ─────────────────────────────

    [Theory]
    [InlineData(1.0, 81)]
    [InlineData(0.05, 82)]
    public void PolicyRegressionIsTheCrossEntropyToTheExpertsBoltzmannPolicy(double tau, int seed)
    {
        const int batch = 4, n = 5;
        var student = Numerics.Random(batch * n, seed, 2f);
        var expert = Numerics.Random(batch * n, seed + 100, 2f);
        var e64 = Numerics.ToDouble(expert);
        double Loss(double[] s) => CrossEntropyReference(s, e64, batch, n, (float)tau);

        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.PolicyRegression(student, expert, gradient, batch, n, (float)tau);
        SameValue(Loss(Numerics.ToDouble(student)), loss, 1e-10, "policy regression loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(student)), 1e-5, "policy regression gradient");

        // Cross-entropy = KL + the expert policy's entropy; the gradients are the same.
        var klGradient = Numerics.Poisoned(batch * n);
        var kl = DistillationLoss.KlTemperature(student, expert, klGradient, batch, n, (float)tau);
        var entropy = Enumerable.Range(0, batch).Average(b =>
        {
            var logP = LogSoftmax(Row(e64, b, n), 1 / (double)(float)tau);
            return -logP.Sum(l => Math.Exp(l) * l);
        });
        SameValue(kl + entropy, loss, 1e-10, "cross-entropy = KL + H");
        Assert.Equal(klGradient, gradient);
    }

    [Fact]
    public void FeatureRegressionIsHalfTheSquaredNormPerRow()
    {
        const int batch = 3, width = 9;
        var predicted = Numerics.Random(batch * width, 91, 2f);
        var expert = Numerics.Random(batch * width, 92, 2f);
        var e64 = Numerics.ToDouble(expert);
        double Loss(double[] f) => Enumerable.Range(0, batch).Average(b =>
            0.5 * Enumerable.Range(0, width).Sum(j => Math.Pow(f[b * width + j] - e64[b * width + j], 2)));

        var gradient = Numerics.Poisoned(batch * width);
        var loss = DistillationLoss.FeatureRegression(predicted, expert, gradient, batch, width);
        SameValue(Loss(Numerics.ToDouble(predicted)), loss, 1e-10, "feature regression loss");
        Numerics.Close(gradient, Numerics.Gradient(Loss, Numerics.ToDouble(predicted)), 1e-6, "feature regression gradient");
        // scale = 2 is the paper's Eq. 3, ‖f − h_E‖² without the ½.
        SameValue(2 * loss, DistillationLoss.FeatureRegression(predicted, expert, default, batch, width, scale: 2f), 1e-12, "Eq. 3 with scale 2");
    }

    // ───────────────────────────── Distral ─────────────────────────────

    [Theory]
    [InlineData(0.5f, 2f)]
    [InlineData(0f, 3f)]
    [InlineData(1f, 0.5f)]
    public void DistralPolicyIsTheTwoColumnSoftmax(float alpha, float beta)
    {
        const int batch = 3, n = 5;
        var h = Numerics.Random(batch * n, 101, 2f);
        var f = Numerics.Random(batch * n, 102, 2f);
        double[] h64 = Numerics.ToDouble(h), f64 = Numerics.ToDouble(f);
        var policy = Numerics.Poisoned(batch * n);
        var logPolicy = Numerics.Poisoned(batch * n);
        DistillationLoss.DistralPolicy(h, f, policy, logPolicy, batch, n, alpha, beta);
        var values = Numerics.Poisoned(batch);
        DistillationLoss.DistralSoftValue(h, f, values, default, default, default, batch, n, alpha, beta);
        for (var b = 0; b < batch; b++)
        {
            // Eq. 8: softmax(α h + β f).
            var expected = Softmax(Enumerable.Range(0, n).Select(a => alpha * h64[b * n + a] + beta * f64[b * n + a]).ToArray());
            // Eq. 4: π_0^α exp(β (Q − V)), with V from DistralSoftValue (Eq. 2).
            var pi0 = Softmax(Row(h64, b, n));
            for (var a = 0; a < n; a++)
            {
                Assert.Equal(expected[a], policy[b * n + a], 1e-6);
                Assert.Equal(Math.Log(expected[a]), logPolicy[b * n + a], 1e-5);
                Assert.Equal(Math.Pow(pi0[a], alpha) * Math.Exp(beta * (f64[b * n + a] - values[b])), policy[b * n + a], 1e-5);
            }
            Assert.Equal(1.0, policy.Skip(b * n).Take(n).Sum(p => (double)p), 1e-6);
        }

        // Either output may be empty.
        var only = Numerics.Poisoned(batch * n);
        DistillationLoss.DistralPolicy(h, f, only, default, batch, n, alpha, beta);
        Assert.Equal(policy, only);
    }

    [Theory]
    [InlineData(0.5f, 2f, 111)]
    [InlineData(0f, 3f, 112)]
    [InlineData(1f, 0.5f, 113)]
    [InlineData(0.3f, 20f, 114)]
    public void DistralSoftValueMatchesEquation2AndFiniteDifferences(float alpha, float beta, int seed)
    {
        const int batch = 4, n = 5;
        var h = Numerics.Random(batch * n, seed, 2f);
        var q = Numerics.Random(batch * n, seed + 100, 1f);
        var upstream = Numerics.Random(batch, seed + 200, 2f);
        double[] h64 = Numerics.ToDouble(h), q64 = Numerics.ToDouble(q), g64 = Numerics.ToDouble(upstream);
        double Weighted(double[] hh, double[] qq) =>
            Enumerable.Range(0, batch).Sum(b => g64[b] * SoftValueLiteral(Row(hh, b, n), Row(qq, b, n), alpha, beta));

        var values = Numerics.Poisoned(batch);
        var dh = Numerics.Poisoned(batch * n);
        var dq = Numerics.Poisoned(batch * n);
        var mean = DistillationLoss.DistralSoftValue(h, q, values, upstream, dh, dq, batch, n, alpha, beta);
        for (var b = 0; b < batch; b++) SameValue(SoftValueLiteral(Row(h64, b, n), Row(q64, b, n), alpha, beta), values[b], 1e-6, $"V row {b}");
        SameValue(Enumerable.Range(0, batch).Average(b => SoftValueLiteral(Row(h64, b, n), Row(q64, b, n), alpha, beta)), mean, 1e-10, "mean V");
        Numerics.Close(dh, Numerics.Gradient(x => Weighted(x, q64), h64), 1e-5, "∂V/∂h");
        Numerics.Close(dq, Numerics.Gradient(x => Weighted(h64, x), q64), 1e-5, "∂V/∂Q");

        // Without an upstream gradient: the per-row partials (∂V_b/∂Q_b sums to 1 — it is π_i).
        var dqRow = Numerics.Poisoned(batch * n);
        var dhRow = Numerics.Poisoned(batch * n);
        DistillationLoss.DistralSoftValue(h, q, values, default, dhRow, dqRow, batch, n, alpha, beta);
        double Unweighted(double[] hh, double[] qq) => Enumerable.Range(0, batch).Sum(b => SoftValueLiteral(Row(hh, b, n), Row(qq, b, n), alpha, beta));
        Numerics.Close(dhRow, Numerics.Gradient(x => Unweighted(x, q64), h64), 1e-5, "∂V_b/∂h_b");
        Numerics.Close(dqRow, Numerics.Gradient(x => Unweighted(h64, x), q64), 1e-5, "∂V_b/∂Q_b");
        for (var b = 0; b < batch; b++) Assert.Equal(1.0, dqRow.Skip(b * n).Take(n).Sum(v => (double)v), 1e-5);
    }

    [Fact]
    public void DistralSoftValueLimits()
    {
        const int batch = 3, n = 4;
        var h = Numerics.Random(batch * n, 121, 2f);
        var q = Numerics.Random(batch * n, 122, 1f);
        double[] h64 = Numerics.ToDouble(h), q64 = Numerics.ToDouble(q);
        // α = 0 (c_KL = 0): the soft maximum (1/β) log Σ exp(β Q), π_0 plays no part.
        var soft = new float[batch];
        DistillationLoss.DistralSoftValue(h, q, soft, default, default, default, batch, n, 0f, 2f);
        // α = 1 (c_Ent = 0): (1/β) log E_{π_0}[exp(β Q)].
        var prior = new float[batch];
        DistillationLoss.DistralSoftValue(h, q, prior, default, default, default, batch, n, 1f, 0.5f);
        // β → ∞: the hard maximum.
        var hard = new float[batch];
        DistillationLoss.DistralSoftValue(h, q, hard, default, default, default, batch, n, 0.5f, 1e6f);
        for (var b = 0; b < batch; b++)
        {
            var qRow = Row(q64, b, n);
            var pi0 = Softmax(Row(h64, b, n));
            Assert.Equal(Math.Log(qRow.Sum(v => Math.Exp(2 * v))) / 2, soft[b], 1e-5);
            Assert.Equal(Math.Log(Enumerable.Range(0, n).Sum(a => pi0[a] * Math.Exp(0.5 * qRow[a]))) / 0.5, prior[b], 1e-5);
            Assert.Equal(qRow.Max(), hard[b], 1e-4);
        }
    }

    [Fact]
    public void DistralCoefficientsFollowTheCosts()
    {
        var (alpha, beta) = DistillationLoss.DistralCoefficients(0.3f, 0.2f);
        Assert.Equal(0.6f, alpha, 1e-6);
        Assert.Equal(2f, beta, 1e-5);
        Assert.Equal(0.3f, alpha / beta, 1e-6); // α/β = c_KL

        // c_Ent = 0: KL regularisation alone, α = 1, β = 1/c_KL.
        Assert.Equal((1f, 4f), DistillationLoss.DistralCoefficients(0.25f, 0f));
        // c_KL = 0: entropy regularisation alone, α = 0 (π_0 drops out).
        Assert.Equal((0f, 10f), DistillationLoss.DistralCoefficients(0f, 0.1f));

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.DistralCoefficients(-0.1f, 0.2f));
        Assert.Equal("cKl", negative.ParamName);
        Assert.Contains("[0, ∞)", negative.Message);
        Assert.Equal("cEnt", Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.DistralCoefficients(0.1f, float.NaN)).ParamName);
        Assert.Equal("cEnt", Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.DistralCoefficients(0.1f, float.PositiveInfinity)).ParamName);
        var zero = Assert.Throws<ArgumentException>(() => DistillationLoss.DistralCoefficients(0f, 0f));
        Assert.Contains("c_KL + c_Ent > 0", zero.Message);
    }

    [Fact]
    public void DistralDistilledLossIsTheWeightedLikelihoodOfTheActionsTaken()
    {
        const int batch = 5, n = 4;
        const float scale = 0.5f;
        var (alpha, beta) = DistillationLoss.DistralCoefficients(0.4f, 0.1f); // α = 0.8, β = 2, α/β = c_KL = 0.4
        var h = Numerics.Random(batch * n, 131, 3f);
        int[] taken = [3, 0, 1, 1, 2];
        var weights = Numerics.Random(batch, 132).Select(w => 0.5f + Math.Abs(w)).ToArray();
        double ratio = (double)alpha / beta;
        double Loss(double[] z, bool weighted) => scale * Enumerable.Range(0, batch).Average(b =>
            -ratio * (weighted ? weights[b] : 1.0) * LogSoftmax(Row(z, b, n))[taken[b]]);

        foreach (var weighted in new[] { false, true })
        {
            var gradient = Numerics.Poisoned(batch * n);
            var loss = DistillationLoss.DistralDistilledLoss(h, taken, gradient, batch, n, alpha, beta, scale, weighted ? weights : default);
            SameValue(Loss(Numerics.ToDouble(h), weighted), loss, 1e-10, $"distilled loss (weighted: {weighted})");
            Numerics.Close(gradient, Numerics.Gradient(z => Loss(z, weighted), Numerics.ToDouble(h)), 1e-5, $"distilled gradient (weighted: {weighted})");
        }

        // The coefficient α/β = c_KL times the plain cross-entropy.
        var plain = Losses.Loss.CrossEntropy(h, taken, default, batch, n);
        SameValue(0.4 * plain, DistillationLoss.DistralDistilledLoss(h, taken, default, batch, n, alpha, beta), 1e-6, "α/β · cross-entropy");

        // α = 0 (c_KL = 0): nothing to distil; the gradient is written as zeros.
        var zero = Numerics.Poisoned(batch * n);
        Assert.Equal(0.0, DistillationLoss.DistralDistilledLoss(h, taken, zero, batch, n, 0f, 3f));
        Assert.All(zero, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void DistralDistilledCrossEntropyIsTheExpectationOverTheTaskPolicy()
    {
        const int batch = 4, n = 5;
        const float alpha = 0.7f, beta = 1.5f, scale = 2f;
        var h = Numerics.Random(batch * n, 141, 2f);
        var f = Numerics.Random(batch * n, 142, 2f);
        var taskPolicy = new float[batch * n];
        DistillationLoss.DistralPolicy(h, f, taskPolicy, default, batch, n, alpha, beta);
        var weights = Numerics.Random(batch, 143).Select(w => 1 + w * 0.5f).ToArray();
        double ratio = (double)alpha / beta;
        double Loss(double[] z, float[] p, float[]? w) => scale * Enumerable.Range(0, batch).Average(b =>
        {
            var logPi0 = LogSoftmax(Row(z, b, n));
            return -ratio * (w is null ? 1.0 : w[b]) * Enumerable.Range(0, n).Sum(a => p[b * n + a] * logPi0[a]);
        });

        var gradient = Numerics.Poisoned(batch * n);
        var loss = DistillationLoss.DistralDistilledCrossEntropy(h, taskPolicy, gradient, batch, n, alpha, beta, scale);
        SameValue(Loss(Numerics.ToDouble(h), taskPolicy, null), loss, 1e-10, "expected distilled loss");
        Numerics.Close(gradient, Numerics.Gradient(z => Loss(z, taskPolicy, null), Numerics.ToDouble(h)), 1e-5, "expected distilled gradient");

        // Eq. 10's last term: (α/β)(π_i − π_0) ascends; the loss's gradient is its negative.
        var h64 = Numerics.ToDouble(h);
        for (var b = 0; b < batch; b++)
        {
            var pi0 = Softmax(Row(h64, b, n));
            for (var a = 0; a < n; a++) Assert.Equal(scale * ratio * (pi0[a] - taskPolicy[b * n + a]) / batch, gradient[b * n + a], 1e-6);
        }

        // Its gradient is the expectation over a ~ π_i of the sampled loss's gradient.
        var expected = new double[batch * n];
        var sampled = new float[batch * n];
        for (var a = 0; a < n; a++)
        {
            DistillationLoss.DistralDistilledLoss(h, Enumerable.Repeat(a, batch).ToArray(), sampled, batch, n, alpha, beta, scale);
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < n; j++) expected[b * n + j] += taskPolicy[b * n + a] * sampled[b * n + j];
            }
        }
        Numerics.Close(gradient, expected, 1e-5, "expectation of the sampled gradient");

        // Weighted, and exact for rows that do not sum to 1.
        var unnormalised = Numerics.Random(batch * n, 144).Select(v => Math.Abs(v)).ToArray();
        gradient = Numerics.Poisoned(batch * n);
        loss = DistillationLoss.DistralDistilledCrossEntropy(h, unnormalised, gradient, batch, n, alpha, beta, scale, weights);
        SameValue(Loss(h64, unnormalised, weights), loss, 1e-10, "weighted, unnormalised");
        Numerics.Close(gradient, Numerics.Gradient(z => Loss(z, unnormalised, weights), h64), 1e-5, "weighted, unnormalised gradient");
    }

    // ───────────────────────────── stability ─────────────────────────────

    [Fact]
    public void LargeLogitsStayFinite()
    {
        const int batch = 3, n = 6;
        var big = Numerics.Random(batch * n, 151, 80f);
        big[0] = 80f;
        big[1] = -80f;
        big[n] = -80f;
        var other = Numerics.Random(batch * n, 152, 80f);
        other[2] = 80f;
        double[] big64 = Numerics.ToDouble(big), other64 = Numerics.ToDouble(other);
        var gradient = Numerics.Poisoned(batch * n);

        foreach (var tau in new[] { 1f, 0.01f })
        {
            var kl = DistillationLoss.KlTemperature(big, other, gradient, batch, n, tau);
            SameValue(KlReference(big64, other64, batch, n, tau), kl, 1e-10, $"KL at ±80, τ = {tau}");
            AllFinite(gradient, "KL gradient at ±80");
            var ce = DistillationLoss.PolicyRegression(big, other, gradient, batch, n, tau);
            SameValue(CrossEntropyReference(big64, other64, batch, n, tau), ce, 1e-10, $"policy regression at ±80, τ = {tau}");
            AllFinite(gradient, "policy regression gradient at ±80");
        }
        Assert.True(double.IsFinite(DistillationLoss.NllTeacherArgmax(big, other, gradient, batch, n)));
        AllFinite(gradient, "NLL gradient at ±80");

        const float alpha = 0.5f, beta = 5f;
        var policy = Numerics.Poisoned(batch * n);
        var logPolicy = Numerics.Poisoned(batch * n);
        DistillationLoss.DistralPolicy(big, other, policy, logPolicy, batch, n, alpha, beta);
        AllFinite(policy, "π_i at ±80");
        AllFinite(logPolicy, "log π_i at ±80");
        var values = Numerics.Poisoned(batch);
        var dh = Numerics.Poisoned(batch * n);
        var dq = Numerics.Poisoned(batch * n);
        DistillationLoss.DistralSoftValue(big, other, values, default, dh, dq, batch, n, alpha, beta);
        for (var b = 0; b < batch; b++) SameValue(SoftValueStable(Row(big64, b, n), Row(other64, b, n), alpha, beta), values[b], 1e-6, $"V at ±80, row {b}");
        AllFinite(dh, "∂V/∂h at ±80");
        AllFinite(dq, "∂V/∂Q at ±80");
        Assert.True(double.IsFinite(DistillationLoss.DistralDistilledLoss(big, new[] { 1, 0, 5 }, gradient, batch, n, alpha, beta)));
        AllFinite(gradient, "distilled gradient at ±80");
        Assert.True(double.IsFinite(DistillationLoss.DistralDistilledCrossEntropy(big, policy, gradient, batch, n, alpha, beta)));
        AllFinite(gradient, "expected distilled gradient at ±80");
    }

    // ───────────────────────────── argument checks ─────────────────────────────

    [Fact]
    public void SpanLengthsAndShapesAreChecked()
    {
        const int batch = 2, n = 3;
        var x = new float[batch * n];
        var shortSpan = new float[batch * n - 1];
        var g = new float[batch * n];

        void Length(string name, Action call) => Assert.Equal(name, Assert.Throws<ArgumentException>(call).ParamName);
        Length("studentLogits", () => DistillationLoss.KlTemperature(shortSpan, x, g, batch, n, 1f));
        Length("teacherQ", () => DistillationLoss.KlTemperature(x, shortSpan, g, batch, n, 1f));
        Length("gradient", () => DistillationLoss.KlTemperature(x, x, shortSpan, batch, n, 1f));
        Length("gradient", () => DistillationLoss.KlTemperature(x, x, new float[batch * n + 1], batch, n, 1f));
        Length("teacherQ", () => DistillationLoss.NllTeacherArgmax(x, shortSpan, g, batch, n));
        Length("studentQ", () => DistillationLoss.MseQ(shortSpan, x, g, batch, n));
        Length("expertQ", () => DistillationLoss.PolicyRegression(x, shortSpan, g, batch, n, 1f));
        Length("expertFeatures", () => DistillationLoss.FeatureRegression(x, shortSpan, g, batch, n));
        Length("distilledLogits", () => DistillationLoss.DistralPolicy(shortSpan, x, g, default, batch, n, 0.5f, 1f));
        Length("taskQ", () => DistillationLoss.DistralPolicy(x, shortSpan, g, default, batch, n, 0.5f, 1f));
        Length("policy", () => DistillationLoss.DistralPolicy(x, x, shortSpan, default, batch, n, 0.5f, 1f));
        Length("logPolicy", () => DistillationLoss.DistralPolicy(x, x, g, shortSpan, batch, n, 0.5f, 1f));
        Length("values", () => DistillationLoss.DistralSoftValue(x, x, new float[batch + 1], default, default, default, batch, n, 0.5f, 1f));
        Length("values", () => DistillationLoss.DistralSoftValue(x, x, default, default, default, default, batch, n, 0.5f, 1f));
        Length("valueGradient", () => DistillationLoss.DistralSoftValue(x, x, new float[batch], new float[1], default, default, batch, n, 0.5f, 1f));
        Length("gradientLogits", () => DistillationLoss.DistralSoftValue(x, x, new float[batch], default, shortSpan, default, batch, n, 0.5f, 1f));
        Length("gradientQ", () => DistillationLoss.DistralSoftValue(x, x, new float[batch], default, default, shortSpan, batch, n, 0.5f, 1f));
        Length("actionsTaken", () => DistillationLoss.DistralDistilledLoss(x, new[] { 0 }, g, batch, n, 0.5f, 1f));
        Length("weights", () => DistillationLoss.DistralDistilledLoss(x, new[] { 0, 1 }, g, batch, n, 0.5f, 1f, 1f, new float[3]));
        Length("taskPolicy", () => DistillationLoss.DistralDistilledCrossEntropy(x, shortSpan, g, batch, n, 0.5f, 1f));
        Length("weights", () => DistillationLoss.DistralDistilledCrossEntropy(x, x, g, batch, n, 0.5f, 1f, 1f, new float[1]));

        void Range(string name, Action call) => Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(call).ParamName);
        Range("batch", () => DistillationLoss.KlTemperature(x, x, g, 0, n, 1f));
        Range("batch", () => DistillationLoss.MseQ(x, x, g, -1, n));
        Range("actions", () => DistillationLoss.NllTeacherArgmax(x, x, g, batch, 0));
        Range("width", () => DistillationLoss.FeatureRegression(x, x, g, batch, 0));
        Range("actions", () => DistillationLoss.DistralSoftValue(x, x, new float[batch], default, default, default, batch, 0, 0.5f, 1f));
        Range("batch", () => DistillationLoss.DistralDistilledLoss(x, new[] { 0, 1 }, g, 0, n, 0.5f, 1f));

        // Actions taken out of range: refused before anything is written.
        var poisoned = Numerics.Poisoned(batch * n);
        Range("actionsTaken", () => DistillationLoss.DistralDistilledLoss(x, new[] { 0, n }, poisoned, batch, n, 0.5f, 1f));
        Range("actionsTaken", () => DistillationLoss.DistralDistilledLoss(x, new[] { -1, 0 }, poisoned, batch, n, 0.5f, 1f));
        Assert.All(poisoned, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void TauMustBePositiveAndFinite(float tau)
    {
        var x = new float[6];
        var kl = Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.KlTemperature(x, x, default, 2, 3, tau));
        Assert.Equal("tau", kl.ParamName);
        Assert.Contains("(0, ∞)", kl.Message);
        Assert.Equal("tau", Assert.Throws<ArgumentOutOfRangeException>(() => DistillationLoss.PolicyRegression(x, x, default, 2, 3, tau)).ParamName);
    }

    [Theory]
    [InlineData(-0.1f, 1f, "alpha", "[0, 1]")]
    [InlineData(1.5f, 1f, "alpha", "[0, 1]")]
    [InlineData(float.NaN, 1f, "alpha", "[0, 1]")]
    [InlineData(0.5f, 0f, "beta", "(0, ∞)")]
    [InlineData(0.5f, -2f, "beta", "(0, ∞)")]
    [InlineData(0.5f, float.PositiveInfinity, "beta", "(0, ∞)")]
    [InlineData(0.5f, float.NaN, "beta", "(0, ∞)")]
    public void DistralCoefficientsAreChecked(float alpha, float beta, string name, string range)
    {
        var x = new float[6];
        void Check(Action call)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.Contains(range, e.Message);
        }
        Check(() => DistillationLoss.DistralPolicy(x, x, new float[6], default, 2, 3, alpha, beta));
        Check(() => DistillationLoss.DistralSoftValue(x, x, new float[2], default, default, default, 2, 3, alpha, beta));
        Check(() => DistillationLoss.DistralDistilledLoss(x, new[] { 0, 1 }, default, 2, 3, alpha, beta));
        Check(() => DistillationLoss.DistralDistilledCrossEntropy(x, x, default, 2, 3, alpha, beta));
    }
}

[Collection("Allocation")]
public class DistillationAllocationTests
{
    [Fact]
    public void TheLossesAllocateNothing()
    {
        const int batch = 32, n = 6;
        var a = Numerics.Random(batch * n, 1, 3f);
        var b = Numerics.Random(batch * n, 2, 3f);
        var g = new float[batch * n];
        var g2 = new float[batch * n];
        var values = new float[batch];
        var upstream = Numerics.Random(batch, 3);
        var weights = Numerics.Random(batch, 4);
        var policy = new float[batch * n];
        var taken = Enumerable.Range(0, batch).Select(i => i % n).ToArray();
        double sink = 0;
        void Run()
        {
            sink += DistillationLoss.KlTemperature(a, b, g, batch, n, 0.01f);
            sink += DistillationLoss.NllTeacherArgmax(a, b, g, batch, n);
            sink += DistillationLoss.MseQ(a, b, g, batch, n);
            sink += DistillationLoss.PolicyRegression(a, b, g, batch, n, 1f);
            sink += DistillationLoss.FeatureRegression(a, b, g, batch, n);
            DistillationLoss.DistralPolicy(a, b, policy, g2, batch, n, 0.5f, 2f);
            sink += DistillationLoss.DistralSoftValue(a, b, values, upstream, g, g2, batch, n, 0.5f, 2f);
            sink += DistillationLoss.DistralDistilledLoss(a, taken, g, batch, n, 0.5f, 2f, 1f, weights);
            sink += DistillationLoss.DistralDistilledCrossEntropy(a, policy, g, batch, n, 0.5f, 2f);
        }
        Run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(double.IsInfinity(sink));
    }
}
