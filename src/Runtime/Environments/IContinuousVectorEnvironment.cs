using System;

namespace Mtrl.Runtime.Environments;

/// <summary>A vectorized environment whose actions are real vectors within the action space's bounds: SAC/TD3-style agents drive it.</summary>
public interface IContinuousVectorEnvironment : IVectorEnvironment
{
    /// <summary>
    /// Advances every environment by one step and writes <see cref="IVectorEnvironment.Buffers"/>
    /// (same-step autoreset; see <see cref="VectorStepBuffers"/>). Components outside the bounds
    /// are clipped to them.
    /// </summary>
    /// <param name="actions">N × d actions, environment-major.</param>
    /// <exception cref="ArgumentException">The span does not hold N × d values, or holds NaN.</exception>
    /// <exception cref="InvalidOperationException">Reset has not been called.</exception>
    void Step(ReadOnlySpan<float> actions);
}
