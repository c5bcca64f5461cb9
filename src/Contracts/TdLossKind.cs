namespace Mtrl.Contracts;

/// <summary>Regression loss of DQN's TD error.</summary>
public enum TdLossKind
{
    /// <summary>Huber (smooth L1) with δ = 1, as DQN's paper and stable-baselines3 use.</summary>
    Huber,

    /// <summary>Squared error.</summary>
    SquaredError,
}
