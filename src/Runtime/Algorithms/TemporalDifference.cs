using System;

namespace Mtrl.Runtime.Algorithms;

/// <summary>The arithmetic of a Q-learning update, free of networks and buffers so it is testable on its own.</summary>
public static class TemporalDifference
{
    /// <summary>
    /// y = r + γ·(1 − terminated)·V(s′), with V(s′) = Q_target(s′, argmax_a Q_online(s′, a)) for
    /// double DQN (<paramref name="onlineNext"/> given) or max_a Q_target(s′, a) otherwise.
    /// Truncated transitions bootstrap: only termination stops the sum.
    /// </summary>
    /// <param name="rewards">Batch rewards.</param>
    /// <param name="terminated">Batch termination flags, 1 = terminal.</param>
    /// <param name="targetNext">Q_target(s′, ·), batch × actions.</param>
    /// <param name="onlineNext">Q_online(s′, ·), batch × actions, or empty for plain DQN.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="gamma">Discount.</param>
    /// <param name="targets">Batch targets, overwritten.</param>
    public static void Targets(ReadOnlySpan<float> rewards, ReadOnlySpan<float> terminated, ReadOnlySpan<float> targetNext, ReadOnlySpan<float> onlineNext,
        int batch, int actions, float gamma, Span<float> targets)
    {
        for (var i = 0; i < batch; i++)
        {
            var next = targetNext.Slice(i * actions, actions);
            var value = onlineNext.IsEmpty ? next[ArgMax(next)] : next[ArgMax(onlineNext.Slice(i * actions, actions))];
            targets[i] = rewards[i] + gamma * (1f - terminated[i]) * value;
        }
    }

    /// <summary>Q(s, aᵢ) of each row's taken action.</summary>
    public static void Chosen(ReadOnlySpan<float> q, ReadOnlySpan<int> actionsTaken, int batch, int actions, Span<float> chosen)
    {
        for (var i = 0; i < batch; i++) chosen[i] = q[i * actions + actionsTaken[i]];
    }

    /// <summary>Spreads ∂L/∂Q(s, aᵢ) into a batch × actions gradient that is zero for the actions not taken.</summary>
    public static void Scatter(ReadOnlySpan<float> chosenGradient, ReadOnlySpan<int> actionsTaken, int batch, int actions, Span<float> gradient)
    {
        gradient.Slice(0, batch * actions).Clear();
        for (var i = 0; i < batch; i++) gradient[i * actions + actionsTaken[i]] = chosenGradient[i];
    }

    /// <summary>Index of the largest value; the first on ties, so greedy choices are reproducible.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var a = 1; a < values.Length; a++)
        {
            if (values[a] > values[best]) best = a;
        }
        return best;
    }
}
