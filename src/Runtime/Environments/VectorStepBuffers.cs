using System;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// The preallocated struct-of-arrays buffers a vectorized environment writes on every Reset and
/// Step, so stepping allocates nothing and a trainer can read (or copy into replay) whole
/// batches. Rows are environment-major: environment i owns elements [i·width, (i + 1)·width).
/// </summary>
/// <remarks>
/// <para>Autoreset follows Gymnasium's <c>AutoresetMode.SAME_STEP</c>: when environment i ends
/// an episode in a step (<see cref="Finished"/>[i]), the environment is reset within that step,
/// so <see cref="Observations"/> row i already holds the first observation of the next episode,
/// while <see cref="Rewards"/>, <see cref="Terminated"/> and <see cref="Truncated"/> describe
/// the transition that ended the old one, whose last observation is kept in
/// <see cref="FinalObservations"/> row i. For an off-policy transition (s, a, r, s′) take
/// s′ = Finished[i] ? FinalObservations[i] : Observations[i], and bootstrap unless
/// Terminated[i].</para>
/// <para>Rows of the final buffers are written only for finished environments; other rows keep
/// whatever they held. <see cref="TaskIds"/> is written by Reset and does not change between
/// resets. Every other buffer is fully written by every Step.</para>
/// </remarks>
public sealed class VectorStepBuffers
{
    /// <summary>Allocates buffers for <paramref name="environmentCount"/> environments.</summary>
    /// <param name="environmentCount">N, at least 1.</param>
    /// <param name="observationSize">Floats per observation, at least 1.</param>
    /// <param name="goalSize">Floats per goal for goal-conditioned environments; 0 allocates no goal buffers.</param>
    public VectorStepBuffers(int environmentCount, int observationSize, int goalSize = 0)
    {
        if (environmentCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(environmentCount), environmentCount, "must be at least 1");
        }

        if (observationSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(observationSize), observationSize, "must be at least 1");
        }

        if (goalSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(goalSize), goalSize, "must be at least 0 (0 = not a goal environment)");
        }

        int observationLength = RowsLength(environmentCount, observationSize, nameof(observationSize));
        int goalLength = RowsLength(environmentCount, goalSize, nameof(goalSize));
        EnvironmentCount = environmentCount;
        ObservationSize = observationSize;
        GoalSize = goalSize;
        Observations = new float[observationLength];
        FinalObservations = new float[observationLength];
        Rewards = new float[environmentCount];
        Terminated = new bool[environmentCount];
        Truncated = new bool[environmentCount];
        Finished = new bool[environmentCount];
        TaskIds = new int[environmentCount];
        AchievedGoals = new float[goalLength];
        DesiredGoals = new float[goalLength];
        FinalAchievedGoals = new float[goalLength];
        FinalDesiredGoals = new float[goalLength];
    }

    /// <summary>N, the number of environments (rows).</summary>
    public int EnvironmentCount { get; }

    /// <summary>Floats per observation row.</summary>
    public int ObservationSize { get; }

    /// <summary>Floats per goal row (0 when the environment has no goals).</summary>
    public int GoalSize { get; }

    /// <summary>N × ObservationSize current observations; for finished environments the first observation of the next episode.</summary>
    public float[] Observations { get; }

    /// <summary>N rewards of the last step (0 after Reset).</summary>
    public float[] Rewards { get; }

    /// <summary>N flags: the last step reached a terminal state (do not bootstrap).</summary>
    public bool[] Terminated { get; }

    /// <summary>N flags: the last step hit the time limit (bootstrap from the final observation). May be set together with <see cref="Terminated"/>.</summary>
    public bool[] Truncated { get; }

    /// <summary>N flags: Terminated or Truncated — the environment ended an episode and was reset in the last step.</summary>
    public bool[] Finished { get; }

    /// <summary>N × ObservationSize last observations of the episodes that finished in the last step (valid where <see cref="Finished"/>).</summary>
    public float[] FinalObservations { get; }

    /// <summary>N task ids: the task each environment runs, for task-conditioned agents and per-task metrics; written by Reset, constant until the next one.</summary>
    public int[] TaskIds { get; }

    /// <summary>N × GoalSize goals achieved by the current states (after any autoreset).</summary>
    public float[] AchievedGoals { get; }

    /// <summary>N × GoalSize goals of the current episodes (after any autoreset).</summary>
    public float[] DesiredGoals { get; }

    /// <summary>N × GoalSize achieved goals at the end of the episodes that finished in the last step (valid where <see cref="Finished"/>).</summary>
    public float[] FinalAchievedGoals { get; }

    /// <summary>N × GoalSize desired goals of the episodes that finished in the last step (valid where <see cref="Finished"/>).</summary>
    public float[] FinalDesiredGoals { get; }

    /// <summary>
    /// Writes the next observation s′ of every transition of the last step — the final
    /// observation where the environment finished, the current one elsewhere — which is what an
    /// off-policy replay buffer stores beside (s, a, r, terminated).
    /// </summary>
    /// <param name="destination">N × ObservationSize floats, overwritten.</param>
    public void CopyNextObservations(Span<float> destination)
    {
        if (destination.Length != Observations.Length)
        {
            throw new ArgumentException($"must hold N × ObservationSize = {Observations.Length} floats, got {destination.Length}", nameof(destination));
        }

        CopyNext(Observations, FinalObservations, ObservationSize, destination);
    }

    /// <summary>
    /// Writes the achieved goal after every transition of the last step — the final achieved goal
    /// where the environment finished, the current one elsewhere — what HER relabels with.
    /// </summary>
    /// <param name="destination">N × GoalSize floats, overwritten.</param>
    public void CopyNextAchievedGoals(Span<float> destination)
    {
        if (destination.Length != AchievedGoals.Length)
        {
            throw new ArgumentException($"must hold N × GoalSize = {AchievedGoals.Length} floats, got {destination.Length}", nameof(destination));
        }

        CopyNext(AchievedGoals, FinalAchievedGoals, GoalSize, destination);
    }

    private void CopyNext(float[] current, float[] final, int width, Span<float> destination)
    {
        current.CopyTo(destination);
        for (int i = 0; i < EnvironmentCount; i++)
        {
            if (Finished[i])
            {
                final.AsSpan(i * width, width).CopyTo(destination.Slice(i * width, width));
            }
        }
    }

    /// <summary>The buffers as the span bundle step kernels write.</summary>
    internal StepOutputs StepOutputs() => new(Observations, Rewards, Terminated, Truncated, Finished, FinalObservations);

    /// <summary>The goal buffers as the span bundle goal kernels write.</summary>
    internal GoalOutputs GoalOutputs() => new(AchievedGoals, DesiredGoals, FinalAchievedGoals, FinalDesiredGoals);

    private static int RowsLength(int rows, int width, string name)
    {
        long length = (long)rows * width;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(name, width, $"{rows} rows of {width} floats exceed the largest array ({Array.MaxLength} elements)");
        }

        return (int)length;
    }
}
