using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>
/// One evaluation a sequential schedule made, as <c>mtrl train</c> records and prints it: a point of
/// the stage task's learning curve (<see cref="Ended"/> null), or the evaluation of every task the
/// network can run when stage <see cref="Stage"/> ended. Both can fall on one transition count (a
/// stage's end and the next stage's curve point 0, its task before training), so a printed line
/// must say which it is.
/// </summary>
/// <param name="Stage">The stage the evaluation belongs to, which is also the task it trains.</param>
/// <param name="StageTransitions">Transitions into that stage.</param>
/// <param name="StageBudget">Transitions of a whole stage.</param>
/// <param name="Result">What was recorded, at the schedule's transition count.</param>
/// <param name="Ended">The finished stage, for its end-of-stage evaluation.</param>
internal sealed record StageEvaluation(int Stage, long StageTransitions, long StageBudget, EvaluationResult Result, StageResult? Ended);
