using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// What a device training loop needs of any vector environment whose state lives on the device:
/// reset and the device arrays a step writes (Gymnasium's same-step autoreset:
/// <see cref="ObservationView"/> of a finished env already starts its next episode, its last
/// observation is in <see cref="FinalObservationView"/>). How actions are read is the discrete or
/// continuous interface's.
/// </summary>
/// <remarks>
/// Goal environments also expose their achieved and desired goals; the others leave those views
/// empty and <see cref="GoalWidth"/> 0. The views stay valid for the environment's lifetime.
/// </remarks>
public interface IDeviceVectorEnvironment
{
    /// <summary>N, the environments stepped together.</summary>
    int EnvironmentCount { get; }

    /// <summary>Floats per observation.</summary>
    int ObservationWidth { get; }

    /// <summary>Floats per goal (0 without goals).</summary>
    int GoalWidth { get; }

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
}
