namespace Mtrl.Contracts;

/// <summary>Whether an environment takes one integer choice or a real vector per step, which decides the agent's head and the Step overload to call.</summary>
public enum ActionKind
{
    /// <summary>One integer in [0, n) per environment (see <c>IDiscreteVectorEnvironment</c>).</summary>
    Discrete,

    /// <summary>A vector of d floats per environment within per-dimension bounds (see <c>IContinuousVectorEnvironment</c>).</summary>
    Continuous,
}
