using System.Collections.Generic;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runtime.Transfer;

/// <summary>One evaluation of the task being trained, <see cref="StageTransitions"/> into its stage: a point of its learning curve.</summary>
public sealed record StageCurvePoint(long StageTransitions, TaskEvaluation Evaluation);

/// <summary>
/// How stage <see cref="Stage"/> (training task <see cref="Stage"/>) of a sequential schedule
/// ended: every task the network could run evaluated after it (earlier tasks for backward
/// transfer and forgetting, later ones zero-shot where the architecture allows), and the
/// stage task's learning curve.
/// </summary>
/// <param name="Stage">The stage, which is also the task it trained.</param>
/// <param name="Transitions">Transitions of the whole schedule when the stage ended.</param>
/// <param name="Evaluation">Every evaluable task after the stage (ordered by task id).</param>
/// <param name="Curve">The stage task's evaluations during the stage, the last one at its end.</param>
public sealed record StageResult(int Stage, long Transitions, EvaluationResult Evaluation, IReadOnlyList<StageCurvePoint> Curve);
