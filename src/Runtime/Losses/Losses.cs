using System;

namespace Mtrl.Runtime.Losses;

/// <summary>
/// Loss functions returning the mean loss and writing its gradient with respect to the
/// predictions (already divided by the count, times <c>scale</c> so per-task loss weights cost
/// nothing extra). Sums are accumulated in float64.
/// </summary>
public static class Loss
{
    /// <summary>Mean squared error over all elements.</summary>
    public static double MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, int count, float scale = 1f)
    {
        double sum = 0;
        var factor = 2f * scale / count;
        for (var i = 0; i < count; i++)
        {
            var difference = prediction[i] - target[i];
            sum += (double)difference * difference;
            if (!gradient.IsEmpty) gradient[i] = factor * difference;
        }
        return scale * sum / count;
    }

    /// <summary>
    /// Huber (smooth L1) loss with threshold δ, mean over all elements: DQN's TD loss. A NaN
    /// difference gives a NaN loss and a NaN gradient (never an exception), so the optimizer sees the
    /// problem and skips the step; the gradient is clamp(difference, −δ, δ).
    /// </summary>
    public static double Huber(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, int count, float delta = 1f, float scale = 1f)
    {
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            var difference = prediction[i] - target[i];
            var magnitude = MathF.Abs(difference);
            sum += magnitude <= delta ? 0.5 * difference * difference : delta * (magnitude - 0.5 * delta);
            // Math.Clamp passes NaN through, where MathF.Sign(NaN) throws ArithmeticException.
            if (!gradient.IsEmpty) gradient[i] = scale * Math.Clamp(difference, -delta, delta) / count;
        }
        return scale * sum / count;
    }

    /// <summary>Mean −log softmax(z)[target] over the batch.</summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> gradient, int batch, int classes, float scale = 1f)
    {
        double sum = 0;
        for (var b = 0; b < batch; b++)
        {
            var z = logits.Slice(b * classes, classes);
            var target = targets[b];
            if ((uint)target >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), target, $"targets must be in [0, {classes})");
            var logSum = LogSumExp(z);
            sum += logSum - z[target];
            if (gradient.IsEmpty) continue;
            for (var i = 0; i < classes; i++)
            {
                var p = (float)Math.Exp(z[i] - logSum);
                gradient[b * classes + i] = scale * (p - (i == target ? 1f : 0f)) / batch;
            }
        }
        return scale * sum / batch;
    }

    /// <summary>
    /// Mean KL(p ‖ q) between categoricals given by logits (Distral's distillation term).
    /// Gradients: ∂/∂z_q = q − p; ∂/∂z_p = p ⊙ (log p − log q − KL). Either gradient may be empty.
    /// </summary>
    public static double KlCategorical(ReadOnlySpan<float> logitsP, ReadOnlySpan<float> logitsQ, Span<float> gradientP, Span<float> gradientQ,
        int batch, int classes, float scale = 1f)
    {
        double total = 0;
        for (var b = 0; b < batch; b++)
        {
            var zp = logitsP.Slice(b * classes, classes);
            var zq = logitsQ.Slice(b * classes, classes);
            double lp = LogSumExp(zp), lq = LogSumExp(zq), kl = 0;
            for (var i = 0; i < classes; i++)
            {
                double logp = zp[i] - lp, logq = zq[i] - lq;
                kl += Math.Exp(logp) * (logp - logq);
            }
            total += kl;
            for (var i = 0; i < classes; i++)
            {
                double logp = zp[i] - lp, logq = zq[i] - lq, p = Math.Exp(logp), q = Math.Exp(logq);
                if (!gradientQ.IsEmpty) gradientQ[b * classes + i] = (float)(scale * (q - p) / batch);
                if (!gradientP.IsEmpty) gradientP[b * classes + i] = (float)(scale * p * (logp - logq - kl) / batch);
            }
        }
        return scale * total / batch;
    }

    /// <summary>
    /// Mean over the batch of KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) summed over dimensions, with σ = exp(log σ).
    /// Writes gradients for all four inputs (any may be empty).
    /// </summary>
    public static double KlGaussian(ReadOnlySpan<float> mean1, ReadOnlySpan<float> logStd1, ReadOnlySpan<float> mean2, ReadOnlySpan<float> logStd2,
        Span<float> dMean1, Span<float> dLogStd1, Span<float> dMean2, Span<float> dLogStd2, int batch, int dimensions, float scale = 1f)
    {
        double total = 0;
        var factor = scale / batch;
        for (var i = 0; i < batch * dimensions; i++)
        {
            double var1 = Math.Exp(2.0 * logStd1[i]), var2 = Math.Exp(2.0 * logStd2[i]);
            double difference = mean1[i] - mean2[i];
            total += logStd2[i] - logStd1[i] + (var1 + difference * difference) / (2 * var2) - 0.5;
            if (!dMean1.IsEmpty) dMean1[i] = (float)(factor * difference / var2);
            if (!dMean2.IsEmpty) dMean2[i] = (float)(-factor * difference / var2);
            if (!dLogStd1.IsEmpty) dLogStd1[i] = (float)(factor * (-1 + var1 / var2));
            if (!dLogStd2.IsEmpty) dLogStd2[i] = (float)(factor * (1 - (var1 + difference * difference) / var2));
        }
        return scale * total / batch;
    }

    private static double LogSumExp(ReadOnlySpan<float> z)
    {
        var max = float.NegativeInfinity;
        foreach (var v in z) max = MathF.Max(max, v);
        double sum = 0;
        foreach (var v in z) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
