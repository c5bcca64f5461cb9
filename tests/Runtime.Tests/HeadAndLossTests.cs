using System;
using System.Linq;
using Mtrl.Runtime.Heads;
using Mtrl.Runtime.Losses;
using Xunit;

namespace Mtrl.Runtime.Tests;

public class HeadAndLossTests
{
    [Fact]
    public void TanhGaussianLogProbabilityAndReparameterisedGradient()
    {
        const int batch = 3, d = 2;
        const double lo = -5, hi = 2;
        var head = new TanhGaussian(d, (float)lo, (float)hi);
        var input = Numerics.Random(batch * 2 * d, 30);
        var noise = Numerics.Random(batch * d, 31);
        var gA = Numerics.Random(batch * d, 32);
        var gL = Numerics.Random(batch, 33);

        // Reference in float64, straight from the definitions (log N(u; μ, σ) and log(1 − tanh²u)).
        (double[] Actions, double[] LogP) Reference(double[] x)
        {
            var actions = new double[batch * d];
            var logp = new double[batch];
            for (var b = 0; b < batch; b++)
            {
                for (var i = 0; i < d; i++)
                {
                    var mu = x[b * 2 * d + i];
                    var logStd = lo + 0.5 * (hi - lo) * (Math.Tanh(x[b * 2 * d + d + i]) + 1);
                    var sigma = Math.Exp(logStd);
                    var u = mu + sigma * noise[b * d + i];
                    var a = Math.Tanh(u);
                    actions[b * d + i] = a;
                    var gaussian = -0.5 * Math.Pow((u - mu) / sigma, 2) - Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI);
                    logp[b] += gaussian - Math.Log(1 - a * a);
                }
            }
            return (actions, logp);
        }

        var x64 = Numerics.ToDouble(input);
        var (expectedActions, expectedLogp) = Reference(x64);
        var actions = Numerics.Poisoned(batch * d);
        var logp = Numerics.Poisoned(batch);
        head.Sample(input, noise, actions, logp, batch);
        Numerics.Close(actions, expectedActions, 1e-5, "actions");
        Numerics.Close(logp, expectedLogp, 1e-4, "log-probabilities");

        var gradient = Numerics.Poisoned(input.Length);
        head.Backward(input, noise, gA, gL, gradient, batch);
        var numeric = Numerics.Gradient(x =>
        {
            var (a, l) = Reference(x);
            return Numerics.Dot(Numerics.ToDouble(gA), a) + Numerics.Dot(Numerics.ToDouble(gL), l);
        }, x64);
        Numerics.Close(gradient, numeric, 2e-3, "tanh-gaussian gradient");

        var mean = Numerics.Poisoned(batch * d);
        head.Mean(input, mean, batch);
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < d; i++) Assert.Equal(MathF.Tanh(input[b * 2 * d + i]), mean[b * d + i], 6);
        }
    }

    [Fact]
    public void TanhGaussianStaysFiniteForSaturatedActions()
    {
        var head = new TanhGaussian(1);
        var logp = new float[1];
        var action = new float[1];
        head.Sample(new[] { 30f, 0f }, new[] { 0f }, action, logp, 1);
        Assert.True(float.IsFinite(logp[0]));
        Assert.Equal(1f, action[0]);
    }

    [Fact]
    public void CategoricalProbabilitiesEntropySamplingAndGradient()
    {
        const int batch = 2, n = 4;
        var head = new Categorical(n);
        var logits = Numerics.Random(batch * n, 40, 2f);
        var logp = Numerics.Poisoned(batch * n);
        var p = Numerics.Poisoned(batch * n);
        head.Forward(logits, logp, p, batch);
        for (var b = 0; b < batch; b++) Assert.Equal(1.0, p.Skip(b * n).Take(n).Sum(), 5);
        var entropy = Numerics.Poisoned(batch);
        head.Entropy(logp, p, entropy, batch);
        Assert.Equal(-p.Take(n).Zip(logp.Take(n), (a, l) => (double)a * l).Sum(), entropy[0], 5);

        // Inverse CDF: u below the first cumulative mass picks action 0, between the first and second picks 1.
        var actions = new int[batch];
        head.Sample(p, new[] { p[0] * 0.999f, p[n] + p[n + 1] * 0.5f }, actions, batch);
        Assert.Equal(new[] { 0, 1 }, actions);

        // Loss = Σ g ⊙ log p + Σ h ⊙ p, the shape of discrete SAC's policy loss.
        var g = Numerics.Random(batch * n, 41);
        var h = Numerics.Random(batch * n, 42);
        var gradient = Numerics.Poisoned(batch * n);
        head.Backward(p, g, h, gradient, batch);
        var numeric = Numerics.Gradient(z =>
        {
            double total = 0;
            for (var b = 0; b < batch; b++)
            {
                var row = z.Skip(b * n).Take(n).ToArray();
                var max = row.Max();
                var logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                for (var i = 0; i < n; i++) total += g[b * n + i] * (row[i] - logSum) + h[b * n + i] * Math.Exp(row[i] - logSum);
            }
            return total;
        }, Numerics.ToDouble(logits));
        Numerics.Close(gradient, numeric, 2e-3, "categorical gradient");
    }

    [Fact]
    public void RegressionLosses()
    {
        const int n = 11;
        var prediction = Numerics.Random(n, 50, 3f);
        var target = Numerics.Random(n, 51, 3f);
        var t64 = Numerics.ToDouble(target);

        var gradient = Numerics.Poisoned(n);
        var mse = Loss.MeanSquaredError(prediction, target, gradient, n, scale: 0.5f);
        double Mse(double[] p) => 0.5 * p.Zip(t64, (a, b) => (a - b) * (a - b)).Average();
        Assert.Equal(Mse(Numerics.ToDouble(prediction)), mse, 5);
        Numerics.Close(gradient, Numerics.Gradient(Mse, Numerics.ToDouble(prediction)), 1e-4, "mse gradient");

        gradient = Numerics.Poisoned(n);
        var huber = Loss.Huber(prediction, target, gradient, n);
        double Huber(double[] p) => p.Zip(t64, (a, b) => Math.Abs(a - b) <= 1 ? 0.5 * (a - b) * (a - b) : Math.Abs(a - b) - 0.5).Average();
        Assert.Equal(Huber(Numerics.ToDouble(prediction)), huber, 5);
        Numerics.Close(gradient, Numerics.Gradient(Huber, Numerics.ToDouble(prediction)), 1e-4, "huber gradient");
    }

    [Fact]
    public void CrossEntropyAndKlDivergences()
    {
        const int batch = 3, classes = 5;
        var logits = Numerics.Random(batch * classes, 60, 2f);
        var targets = new[] { 4, 0, 2 };
        double LogSoftmax(double[] z, int b, int i)
        {
            var row = z.Skip(b * classes).Take(classes).ToArray();
            var max = row.Max();
            return row[i] - (max + Math.Log(row.Sum(v => Math.Exp(v - max))));
        }
        var gradient = Numerics.Poisoned(batch * classes);
        var ce = Loss.CrossEntropy(logits, targets, gradient, batch, classes);
        double Ce(double[] z) => Enumerable.Range(0, batch).Average(b => -LogSoftmax(z, b, targets[b]));
        Assert.Equal(Ce(Numerics.ToDouble(logits)), ce, 5);
        Numerics.Close(gradient, Numerics.Gradient(Ce, Numerics.ToDouble(logits)), 1e-3, "cross-entropy gradient");

        var other = Numerics.Random(batch * classes, 61, 2f);
        double Kl(double[] zp, double[] zq) => Enumerable.Range(0, batch).Average(b =>
            Enumerable.Range(0, classes).Sum(i => Math.Exp(LogSoftmax(zp, b, i)) * (LogSoftmax(zp, b, i) - LogSoftmax(zq, b, i))));
        var gp = Numerics.Poisoned(batch * classes);
        var gq = Numerics.Poisoned(batch * classes);
        var kl = Loss.KlCategorical(logits, other, gp, gq, batch, classes);
        Assert.Equal(Kl(Numerics.ToDouble(logits), Numerics.ToDouble(other)), kl, 5);
        Numerics.Close(gp, Numerics.Gradient(z => Kl(z, Numerics.ToDouble(other)), Numerics.ToDouble(logits)), 1e-3, "kl p gradient");
        Numerics.Close(gq, Numerics.Gradient(z => Kl(Numerics.ToDouble(logits), z), Numerics.ToDouble(other)), 1e-3, "kl q gradient");

        const int d = 3;
        var m1 = Numerics.Random(batch * d, 62);
        var s1 = Numerics.Random(batch * d, 63);
        var m2 = Numerics.Random(batch * d, 64);
        var s2 = Numerics.Random(batch * d, 65);
        double KlG(double[] a, double[] la, double[] b, double[] lb) => Enumerable.Range(0, batch * d).Sum(i =>
            lb[i] - la[i] + (Math.Exp(2 * la[i]) + Math.Pow(a[i] - b[i], 2)) / (2 * Math.Exp(2 * lb[i])) - 0.5) / batch;
        var grads = Enumerable.Range(0, 4).Select(_ => Numerics.Poisoned(batch * d)).ToArray();
        var klg = Loss.KlGaussian(m1, s1, m2, s2, grads[0], grads[1], grads[2], grads[3], batch, d);
        double[] M1 = Numerics.ToDouble(m1), S1 = Numerics.ToDouble(s1), M2 = Numerics.ToDouble(m2), S2 = Numerics.ToDouble(s2);
        Assert.Equal(KlG(M1, S1, M2, S2), klg, 5);
        Numerics.Close(grads[0], Numerics.Gradient(v => KlG(v, S1, M2, S2), M1), 1e-3, "kl gaussian d mean1");
        Numerics.Close(grads[1], Numerics.Gradient(v => KlG(M1, v, M2, S2), S1), 1e-3, "kl gaussian d logstd1");
        Numerics.Close(grads[2], Numerics.Gradient(v => KlG(M1, S1, v, S2), M2), 1e-3, "kl gaussian d mean2");
        Numerics.Close(grads[3], Numerics.Gradient(v => KlG(M1, S1, M2, v), S2), 1e-3, "kl gaussian d logstd2");
    }
}
