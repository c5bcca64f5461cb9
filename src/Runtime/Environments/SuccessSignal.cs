namespace Mtrl.Runtime.Environments;

/// <summary>What counts as a successful episode, so evaluation can report success rates honestly.</summary>
public enum SuccessSignal
{
    /// <summary>Termination is success: the goal was reached (BitFlip, GridWorld, goal PointMass).</summary>
    Termination,

    /// <summary>Reaching the time limit without terminating is success: the task is to survive (CartPole).</summary>
    Survival,

    /// <summary>Episodes carry no success signal; only returns and lengths are meaningful.</summary>
    None,
}
