using System;

namespace Mtrl.Runtime.Heads;

/// <summary>
/// SAC's policy head. The input row holds [μ | r] for d action dimensions; the log-std is
/// ℓ = lo + ½(hi − lo)(tanh r + 1), so it stays inside [lo, hi] with a smooth gradient (as in
/// mtrl and pytorch_sac; SB3 clamps instead). A reparameterised sample u = μ + e^ℓ·ε is squashed,
/// a = tanh u, and log π(a) = Σ [−½ε² − ℓ − ½ log 2π − log(1 − tanh²u)], the last term computed
/// stably as 2(u + softplus(−2u) − log 2).
/// </summary>
public sealed class TanhGaussian
{
    private static readonly float HalfLogTwoPi = 0.5f * MathF.Log(2f * MathF.PI);
    private static readonly float LogTwo = MathF.Log(2f);

    /// <summary>A head for <paramref name="actions"/> dimensions with log-std bounds [lo, hi].</summary>
    public TanhGaussian(int actions, float logStdMin = -20f, float logStdMax = 2f)
    {
        if (actions < 1) throw new ArgumentOutOfRangeException(nameof(actions), actions, "actions must be at least 1");
        if (!(logStdMin < logStdMax)) throw new ArgumentOutOfRangeException(nameof(logStdMax), logStdMax, $"logStdMax must exceed logStdMin ({logStdMin})");
        Actions = actions;
        LogStdMin = logStdMin;
        LogStdMax = logStdMax;
    }

    /// <summary>Action dimensions d (the input is 2d wide).</summary>
    public int Actions { get; }

    /// <summary>Lower log-std bound.</summary>
    public float LogStdMin { get; }

    /// <summary>Upper log-std bound.</summary>
    public float LogStdMax { get; }

    /// <summary>
    /// Samples a = tanh(μ + σε) with the given standard-normal noise ε ([batch, d]) and writes
    /// log π(a) per sample.
    /// </summary>
    public void Sample(ReadOnlySpan<float> input, ReadOnlySpan<float> noise, Span<float> actions, Span<float> logProbability, int batch)
    {
        var d = Actions;
        for (var b = 0; b < batch; b++)
        {
            var row = input.Slice(b * 2 * d, 2 * d);
            double logp = 0;
            for (var i = 0; i < d; i++)
            {
                var logStd = LogStd(row[d + i]);
                var e = noise[b * d + i];
                var u = row[i] + MathF.Exp(logStd) * e;
                actions[b * d + i] = MathF.Tanh(u);
                logp += -0.5f * e * e - logStd - HalfLogTwoPi - SquashCorrection(u);
            }
            logProbability[b] = (float)logp;
        }
    }

    /// <summary>The deterministic action tanh(μ) (evaluation).</summary>
    public void Mean(ReadOnlySpan<float> input, Span<float> actions, int batch)
    {
        var d = Actions;
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < d; i++) actions[b * d + i] = MathF.Tanh(input[b * 2 * d + i]);
        }
    }

    /// <summary>
    /// Gradient of a loss L(a, log π) with respect to the input [μ | r], given ∂L/∂a
    /// (<paramref name="actionGradient"/>, may be empty) and ∂L/∂log π per sample (may be empty),
    /// for the same noise as the forward sample.
    /// </summary>
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> noise, ReadOnlySpan<float> actionGradient,
        ReadOnlySpan<float> logProbabilityGradient, Span<float> inputGradient, int batch)
    {
        var d = Actions;
        var halfRange = 0.5f * (LogStdMax - LogStdMin);
        for (var b = 0; b < batch; b++)
        {
            var row = input.Slice(b * 2 * d, 2 * d);
            var gradRow = inputGradient.Slice(b * 2 * d, 2 * d);
            var gLogp = logProbabilityGradient.IsEmpty ? 0f : logProbabilityGradient[b];
            for (var i = 0; i < d; i++)
            {
                var t = MathF.Tanh(row[d + i]);
                var logStd = LogStdMin + halfRange * (t + 1f);
                var sigma = MathF.Exp(logStd);
                var e = noise[b * d + i];
                var a = MathF.Tanh(row[i] + sigma * e);
                var gA = actionGradient.IsEmpty ? 0f : actionGradient[b * d + i];
                // dL/du: through a = tanh u and through the squash correction (−d/du log(1−tanh²u) = 2 tanh u).
                var gU = gA * (1f - a * a) + gLogp * 2f * a;
                gradRow[i] = gU;
                var gLogStd = gU * sigma * e - gLogp;
                gradRow[d + i] = gLogStd * halfRange * (1f - t * t);
            }
        }
    }

    private float LogStd(float raw) => LogStdMin + 0.5f * (LogStdMax - LogStdMin) * (MathF.Tanh(raw) + 1f);

    private static float SquashCorrection(float u) => 2f * (LogTwo - u - Softplus(-2f * u));

    private static float Softplus(float x) => x > 20f ? x : MathF.Log(1f + MathF.Exp(x));
}
