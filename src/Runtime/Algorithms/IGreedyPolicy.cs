using System;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A trained agent's deterministic choice of discrete actions (argmax Q), which evaluation runs
/// instead of the exploring behaviour policy.
/// </summary>
public interface IDiscreteGreedyPolicy
{
    /// <summary>Most rows one <see cref="Act"/> call takes (the networks' batch room).</summary>
    int MaxRows { get; }

    /// <summary>Writes one action per row of <paramref name="inputs"/>.</summary>
    void Act(in NetworkInputs inputs, Span<int> actions);
}

/// <summary>
/// A trained agent's deterministic continuous action (tanh of the Gaussian mean, or the
/// deterministic actor's output) in the environment's bounds.
/// </summary>
public interface IContinuousGreedyPolicy
{
    /// <summary>Most rows one <see cref="Act"/> call takes (the networks' batch room).</summary>
    int MaxRows { get; }

    /// <summary>Values per action row.</summary>
    int ActionSize { get; }

    /// <summary>Writes <see cref="ActionSize"/> values per row of <paramref name="inputs"/>.</summary>
    void Act(scoped in NetworkInputs inputs, Span<float> actions);
}
