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

/// <summary>How a finished episode is judged under a <see cref="SuccessSignal"/>.</summary>
public static class SuccessSignals
{
    /// <summary>True when an episode that ended <paramref name="terminated"/> (or truncated, if false) succeeded.</summary>
    public static bool IsSuccess(this SuccessSignal signal, bool terminated) => signal switch
    {
        SuccessSignal.Termination => terminated,
        SuccessSignal.Survival => !terminated,
        _ => false,
    };
}
