using System;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>What a scalar reference implementation says one Reset or Step must write.</summary>
internal sealed class ExpectedStep
{
    public ExpectedStep(int environments, int observationSize, int goalSize)
    {
        ObservationSize = observationSize;
        GoalSize = goalSize;
        Observations = new float[environments * observationSize];
        FinalObservations = new float[environments * observationSize];
        Rewards = new float[environments];
        Terminated = new bool[environments];
        Truncated = new bool[environments];
        Finished = new bool[environments];
        AchievedGoals = new float[environments * goalSize];
        DesiredGoals = new float[environments * goalSize];
        FinalAchievedGoals = new float[environments * goalSize];
        FinalDesiredGoals = new float[environments * goalSize];
    }

    public int ObservationSize { get; }

    public int GoalSize { get; }

    public float[] Observations { get; }

    public float[] FinalObservations { get; }

    public float[] Rewards { get; }

    public bool[] Terminated { get; }

    public bool[] Truncated { get; }

    public bool[] Finished { get; }

    public float[] AchievedGoals { get; }

    public float[] DesiredGoals { get; }

    public float[] FinalAchievedGoals { get; }

    public float[] FinalDesiredGoals { get; }

    public Span<float> Observation(int env) => Observations.AsSpan(env * ObservationSize, ObservationSize);

    public Span<float> FinalObservation(int env) => FinalObservations.AsSpan(env * ObservationSize, ObservationSize);

    public Span<float> Achieved(int env) => AchievedGoals.AsSpan(env * GoalSize, GoalSize);

    public Span<float> Desired(int env) => DesiredGoals.AsSpan(env * GoalSize, GoalSize);

    public Span<float> FinalAchieved(int env) => FinalAchievedGoals.AsSpan(env * GoalSize, GoalSize);

    public Span<float> FinalDesired(int env) => FinalDesiredGoals.AsSpan(env * GoalSize, GoalSize);
}
