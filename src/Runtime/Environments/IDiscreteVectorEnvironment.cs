using System;

namespace Mtrl.Runtime.Environments;

/// <summary>A vectorized environment whose actions are integers in [0, ActionSpace.Count): DQN-style agents drive it.</summary>
public interface IDiscreteVectorEnvironment : IVectorEnvironment
{
    /// <summary>
    /// Advances every environment by one step and writes <see cref="IVectorEnvironment.Buffers"/>
    /// (same-step autoreset; see <see cref="VectorStepBuffers"/>).
    /// </summary>
    /// <param name="actions">N actions, each in [0, ActionSpace.Count).</param>
    /// <exception cref="ArgumentException">The span does not hold exactly N actions.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is outside [0, n).</exception>
    /// <exception cref="InvalidOperationException">Reset has not been called.</exception>
    void Step(ReadOnlySpan<int> actions);
}
