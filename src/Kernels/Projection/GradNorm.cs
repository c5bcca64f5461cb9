using System;

namespace Mtrl.Kernels;

/// <summary>
/// The GradNorm task-weight update (Chen et al. 2018, "GradNorm: Gradient Normalization for
/// Adaptive Loss Balancing in Deep Multitask Networks"): tasks that train slower than average get
/// larger loss weights, by moving each weighted gradient norm towards a common target. A pure
/// function over T numbers; the trainer supplies the norms from the last shared layer.
/// </summary>
/// <remarks>
/// With G_i = ‖∇_W w_i·L_i‖ (W: the last shared layer), L̃_i = L_i(t) / L_i(0),
/// r_i = L̃_i / mean_j L̃_j and Ḡ = mean_j G_j, the paper's loss is
/// L_grad = Σ_i |G_i − Ḡ·r_i^α| with the targets Ḡ·r_i^α held constant. Because
/// G_i = w_i·‖∇_W L_i‖, ∂L_grad/∂w_i = sign(G_i − Ḡ·r_i^α)·G_i / w_i (sign(0) = 0, as PyTorch's
/// L1 loss). The update is w_i ← w_i − lr·∂L_grad/∂w_i (plain gradient descent; the paper uses
/// Adam on the weights — feed this gradient to an optimizer instead if preferred, see
/// <see cref="LossGradient"/>), weights are floored at <c>minimumWeight</c> so a large step
/// cannot zero or flip a task, then renormalised so Σ w_i = T.
/// </remarks>
public static class GradNorm
{
    /// <summary>Default floor for a weight after the step, before renormalisation.</summary>
    public const double DefaultMinimumWeight = 1e-6;

    /// <summary>
    /// Computes ∂L_grad/∂w_i into <paramref name="gradient"/> and returns L_grad, without changing
    /// any weight — for trainers that update the weights with their own optimizer.
    /// </summary>
    /// <param name="weights">Current loss weights w_i &gt; 0.</param>
    /// <param name="weightedGradientNorms">G_i = ‖∇_W w_i·L_i‖ ≥ 0 on the last shared layer.</param>
    /// <param name="initialLosses">L_i(0) &gt; 0.</param>
    /// <param name="currentLosses">L_i(t) ≥ 0.</param>
    /// <param name="alpha">Restoring-force strength α ≥ 0 (the paper uses 0.12 to 3; 1.5 is common).</param>
    /// <param name="gradient">T outputs ∂L_grad/∂w_i.</param>
    /// <returns>L_grad = Σ_i |G_i − Ḡ·r_i^α|.</returns>
    public static double LossGradient(
        ReadOnlySpan<double> weights, ReadOnlySpan<double> weightedGradientNorms,
        ReadOnlySpan<double> initialLosses, ReadOnlySpan<double> currentLosses, double alpha, Span<double> gradient)
    {
        int t = weights.Length;
        CheckInputs(weights, weightedGradientNorms, initialLosses, currentLosses, alpha);
        ProjectionArguments.CheckPerTask(gradient.Length, t, nameof(gradient));

        double meanRatio = 0.0, meanNorm = 0.0;
        for (int i = 0; i < t; i++)
        {
            meanRatio += currentLosses[i] / initialLosses[i];
            meanNorm += weightedGradientNorms[i];
        }

        meanRatio /= t;
        meanNorm /= t;
        double loss = 0.0;
        for (int i = 0; i < t; i++)
        {
            // r_i = L̃_i / mean(L̃); if every loss is 0 all tasks are equally far along: r_i = 1.
            double inverseRate = meanRatio > 0.0 ? currentLosses[i] / initialLosses[i] / meanRatio : 1.0;
            double target = meanNorm * Math.Pow(inverseRate, alpha);
            double difference = weightedGradientNorms[i] - target;
            loss += Math.Abs(difference);
            gradient[i] = Math.Sign(difference) * (weightedGradientNorms[i] / weights[i]);
        }

        return loss;
    }

    /// <summary>One GradNorm step on <paramref name="weights"/> in place; returns L_grad before the step.</summary>
    /// <param name="weights">Loss weights w_i &gt; 0, updated in place (Σ w_i = T afterwards).</param>
    /// <param name="weightedGradientNorms">G_i = ‖∇_W w_i·L_i‖ ≥ 0 on the last shared layer.</param>
    /// <param name="initialLosses">L_i(0) &gt; 0.</param>
    /// <param name="currentLosses">L_i(t) ≥ 0.</param>
    /// <param name="alpha">Restoring-force strength α ≥ 0.</param>
    /// <param name="learningRate">Step size on the weights, &gt; 0 (the DSL default is 0.025).</param>
    /// <param name="minimumWeight">Floor applied after the step, before renormalisation; in (0, 1].</param>
    public static double UpdateWeights(
        Span<double> weights, ReadOnlySpan<double> weightedGradientNorms,
        ReadOnlySpan<double> initialLosses, ReadOnlySpan<double> currentLosses,
        double alpha, double learningRate, double minimumWeight = DefaultMinimumWeight)
    {
        int t = weights.Length;
        if (!(learningRate > 0.0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learningRate must be finite and greater than 0.");
        }

        if (!(minimumWeight > 0.0) || minimumWeight > 1.0)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumWeight), minimumWeight, "minimumWeight must be in (0, 1].");
        }

        Span<double> gradient = t <= 256 ? stackalloc double[t] : new double[t];
        double loss = LossGradient(weights, weightedGradientNorms, initialLosses, currentLosses, alpha, gradient);
        double sum = 0.0;
        for (int i = 0; i < t; i++)
        {
            weights[i] = Math.Max(weights[i] - learningRate * gradient[i], minimumWeight);
            sum += weights[i];
        }

        double normalise = t / sum;
        for (int i = 0; i < t; i++)
        {
            weights[i] *= normalise;
        }

        return loss;
    }

    private static void CheckInputs(
        ReadOnlySpan<double> weights, ReadOnlySpan<double> weightedGradientNorms,
        ReadOnlySpan<double> initialLosses, ReadOnlySpan<double> currentLosses, double alpha)
    {
        int t = weights.Length;
        if (t < 1)
        {
            throw new ArgumentException("weights must hold one weight per task (at least 1).", nameof(weights));
        }

        ProjectionArguments.CheckPerTask(weightedGradientNorms.Length, t, nameof(weightedGradientNorms));
        ProjectionArguments.CheckPerTask(initialLosses.Length, t, nameof(initialLosses));
        ProjectionArguments.CheckPerTask(currentLosses.Length, t, nameof(currentLosses));
        if (!(alpha >= 0.0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and at least 0.");
        }

        for (int i = 0; i < t; i++)
        {
            if (!(weights[i] > 0.0) || double.IsInfinity(weights[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weights[i], $"weights[{i}] must be finite and greater than 0.");
            }

            if (!(weightedGradientNorms[i] >= 0.0) || double.IsInfinity(weightedGradientNorms[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(weightedGradientNorms), weightedGradientNorms[i], $"weightedGradientNorms[{i}] must be finite and at least 0.");
            }

            if (!(initialLosses[i] > 0.0) || double.IsInfinity(initialLosses[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(initialLosses), initialLosses[i], $"initialLosses[{i}] must be finite and greater than 0 (it divides the current loss).");
            }

            if (!(currentLosses[i] >= 0.0) || double.IsInfinity(currentLosses[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(currentLosses), currentLosses[i], $"currentLosses[{i}] must be finite and at least 0.");
            }
        }
    }
}
