using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// What a device training loop needs of a vector environment with discrete actions whose state
/// lives on the device: reset, a step that reads N actions from a device array, and the device
/// arrays it writes (Gymnasium's same-step autoreset: <see cref="ObservationView"/> of a finished
/// env already start its next episode, its last observation is in <see cref="FinalObservationView"/>).
/// </summary>
/// <remarks>
/// Goal environments also expose their achieved and desired goals; the others leave those views
/// empty and <see cref="GoalWidth"/> 0. The views stay valid for the environment's lifetime.
/// </remarks>
public interface IDeviceDiscreteEnvironment
{
    /// <summary>N, the environments stepped together.</summary>
    int EnvironmentCount { get; }

    /// <summary>Floats per observation.</summary>
    int ObservationWidth { get; }

    /// <summary>Floats per goal (0 without goals).</summary>
    int GoalWidth { get; }

    /// <summary>Discrete actions per environment.</summary>
    int ActionCount { get; }

    /// <summary>N × observation width: the observations the next actions are taken in.</summary>
    ArrayView<float> ObservationView { get; }

    /// <summary>N × observation width: last observations of the episodes that finished in the last step.</summary>
    ArrayView<float> FinalObservationView { get; }

    /// <summary>N rewards of the last step.</summary>
    ArrayView<float> RewardView { get; }

    /// <summary>N flags (0 / 1): the last step ended the episode in a terminal state.</summary>
    ArrayView<float> TerminatedView { get; }

    /// <summary>N flags (0 / 1): the last step hit the time limit.</summary>
    ArrayView<float> TruncatedView { get; }

    /// <summary>N × goal width achieved goals before the next step (empty without goals).</summary>
    ArrayView<float> AchievedGoalView { get; }

    /// <summary>N × goal width desired goals of the current episodes (empty without goals).</summary>
    ArrayView<float> DesiredGoalView { get; }

    /// <summary>N × goal width last achieved goals of the episodes that finished in the last step (empty without goals).</summary>
    ArrayView<float> FinalAchievedGoalView { get; }

    /// <summary>Starts episode 0 of every environment under <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    void Reset(ulong seed);

    /// <summary>Steps every environment with its action; finished episodes restart in the same step.</summary>
    /// <param name="actions">N actions on the device, each in [0, <see cref="ActionCount"/>).</param>
    void Step(ArrayView<int> actions);
}
