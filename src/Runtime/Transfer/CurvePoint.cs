namespace Mtrl.Runtime.Transfer;

/// <summary>
/// One point of a learning curve: the training transitions since the stage (task) began, and the
/// evaluated mean return or success rate of the agent at that point.
/// </summary>
/// <param name="Transitions">Transitions trained on the task when the evaluation ran (0 = before any training on it).</param>
/// <param name="Value">The evaluated mean return or success rate.</param>
public readonly record struct CurvePoint(long Transitions, double Value);
