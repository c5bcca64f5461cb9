using System;

namespace Mtrl.Runtime.Heads;

/// <summary>
/// A categorical distribution over n actions from logits: probabilities, log-probabilities,
/// entropy, sampling by inverse CDF, and the gradient of any loss written in terms of
/// probabilities and log-probabilities (discrete SAC, policy distillation).
/// </summary>
public sealed class Categorical
{
    /// <summary>A head over <paramref name="actions"/> choices.</summary>
    public Categorical(int actions)
    {
        if (actions < 1) throw new ArgumentOutOfRangeException(nameof(actions), actions, "actions must be at least 1");
        Actions = actions;
    }

    /// <summary>Number of choices.</summary>
    public int Actions { get; }

    /// <summary>log p = z − logsumexp(z) and p = exp(log p) per row.</summary>
    public void Forward(ReadOnlySpan<float> logits, Span<float> logProbabilities, Span<float> probabilities, int batch)
    {
        var n = Actions;
        for (var b = 0; b < batch; b++)
        {
            var z = logits.Slice(b * n, n);
            var max = float.NegativeInfinity;
            foreach (var v in z) max = MathF.Max(max, v);
            double sum = 0;
            foreach (var v in z) sum += Math.Exp(v - max);
            var logSum = max + (float)Math.Log(sum);
            for (var i = 0; i < n; i++)
            {
                var logp = z[i] - logSum;
                logProbabilities[b * n + i] = logp;
                probabilities[b * n + i] = MathF.Exp(logp);
            }
        }
    }

    /// <summary>H = −Σ p log p per row.</summary>
    public void Entropy(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<float> probabilities, Span<float> entropy, int batch)
    {
        var n = Actions;
        for (var b = 0; b < batch; b++)
        {
            double h = 0;
            for (var i = 0; i < n; i++) h -= probabilities[b * n + i] * logProbabilities[b * n + i];
            entropy[b] = (float)h;
        }
    }

    /// <summary>Draws one action per row given a uniform number in [0, 1) per row.</summary>
    public void Sample(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> uniforms, Span<int> actions, int batch)
    {
        var n = Actions;
        for (var b = 0; b < batch; b++)
        {
            var u = uniforms[b];
            var cumulative = 0f;
            var choice = n - 1;
            for (var i = 0; i < n; i++)
            {
                cumulative += probabilities[b * n + i];
                if (u < cumulative)
                {
                    choice = i;
                    break;
                }
            }
            actions[b] = choice;
        }
    }

    /// <summary>
    /// dz_k = g_k − p_k Σ_j g_j + p_k (h_k − Σ_j p_j h_j) for g = ∂L/∂log p and h = ∂L/∂p
    /// (either may be empty).
    /// </summary>
    public void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> logProbabilityGradient,
        ReadOnlySpan<float> probabilityGradient, Span<float> logitGradient, int batch)
    {
        var n = Actions;
        for (var b = 0; b < batch; b++)
        {
            double sumG = 0, sumPH = 0;
            for (var i = 0; i < n; i++)
            {
                if (!logProbabilityGradient.IsEmpty) sumG += logProbabilityGradient[b * n + i];
                if (!probabilityGradient.IsEmpty) sumPH += probabilities[b * n + i] * probabilityGradient[b * n + i];
            }
            for (var i = 0; i < n; i++)
            {
                var p = probabilities[b * n + i];
                var g = logProbabilityGradient.IsEmpty ? 0f : logProbabilityGradient[b * n + i];
                var h = probabilityGradient.IsEmpty ? 0f : probabilityGradient[b * n + i];
                logitGradient[b * n + i] = (float)(g - p * sumG + p * (h - sumPH));
            }
        }
    }
}
