namespace Mtrl.Runtime.Transfer;

/// <summary>One task's transfer results, as <see cref="TransferReport.Create"/> computes them.</summary>
/// <param name="Task">Task id (= the stage that trained it).</param>
/// <param name="Budget">Transitions of each stage and of the from-scratch run.</param>
/// <param name="Threshold">The value the steps to threshold are counted to.</param>
/// <param name="TransferSteps">Transitions into the task's stage at which its curve first reached the threshold (points within the budget only); <see langword="null"/> = never.</param>
/// <param name="ScratchSteps">The same for the from-scratch run; <see langword="null"/> = never, or no from-scratch run (then <paramref name="ScratchAuc"/> is NaN).</param>
/// <param name="SpeedUp"><see cref="TransferMetrics.SpeedUp"/> of the two; <see langword="null"/> when either never reached the threshold.</param>
/// <param name="TransferAuc">AUC of the task's curve in the sequence (<see cref="TransferMetrics.AreaUnderCurve(System.Collections.Generic.IReadOnlyList{CurvePoint}, long)"/>); NaN for an empty curve.</param>
/// <param name="ScratchAuc">AUC of the from-scratch curve; NaN without one.</param>
/// <param name="ForwardTransfer">Continual World's forward transfer of the two AUCs (returns mapped through the report's range); NaN without a from-scratch curve or when undefined.</param>
/// <param name="AfterOwnStage">R[task, task]: the evaluation after the task's own stage.</param>
/// <param name="AfterLastStage">R[T − 1, task]: the evaluation after the last stage.</param>
/// <param name="Forgetting"><see cref="TransferMatrix.Forgetting"/> of the task; NaN for the last task.</param>
public sealed record TaskTransfer(
    int Task,
    long Budget,
    double Threshold,
    long? TransferSteps,
    long? ScratchSteps,
    double? SpeedUp,
    double TransferAuc,
    double ScratchAuc,
    double ForwardTransfer,
    double AfterOwnStage,
    double AfterLastStage,
    double Forgetting);
