namespace Mtrl.Runs.Metrics;

/// <summary>Names of the numbers runs record, shared by the writers, the readers and <c>mtrl plot</c>.</summary>
public static class MetricNames
{
    /// <summary>Mean undiscounted episode return.</summary>
    public const string Return = "return";

    /// <summary>Standard deviation of the return over a task's evaluation episodes.</summary>
    public const string ReturnStdDev = "return_std";

    /// <summary>Share of successful episodes (the environment says what success is).</summary>
    public const string Success = "success";

    /// <summary>Mean episode length in steps.</summary>
    public const string Length = "length";

    /// <summary>Episodes behind the numbers.</summary>
    public const string Episodes = "episodes";

    /// <summary>Gradient updates so far.</summary>
    public const string Updates = "updates";

    /// <summary>Loss of the last update.</summary>
    public const string Loss = "loss";

    /// <summary>Weighted feature-regression part of the last update's loss (Actor-Mimic; recorded only when the trainer regresses features).</summary>
    public const string FeatureLoss = "feature_loss";

    /// <summary>Updates whose optimizer step was skipped for a non-finite loss or gradient.</summary>
    public const string SkippedUpdates = "skipped_updates";

    /// <summary>Transitions that held NaN or ±∞ (non-finite policy Skip).</summary>
    public const string NonFiniteTransitions = "nonfinite_transitions";

    /// <summary>Transitions not stored in replay because their vector step held a non-finite value.</summary>
    public const string SkippedTransitions = "skipped_transitions";

    /// <summary>Transitions per second since the previous log point (clock-derived: never compared).</summary>
    public const string TransitionsPerSecond = "transitions_per_s";

    /// <summary>Suffix of the across-task average (e.g. <c>success_avg</c>).</summary>
    public const string Average = "_avg";

    /// <summary>Suffix of the across-task median.</summary>
    public const string Median = "_median";

    /// <summary>Suffix of the worst task.</summary>
    public const string Worst = "_worst";
}
