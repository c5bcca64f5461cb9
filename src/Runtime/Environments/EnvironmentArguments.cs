using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// Argument checks shared by the vectorized environments, so every environment rejects bad
/// input with the same exceptions and messages (naming the argument and the allowed range)
/// before a kernel runs.
/// </summary>
internal static class EnvironmentArguments
{
    /// <summary>Throws unless N is at least 1.</summary>
    public static void CheckEnvironmentCount(int environmentCount)
    {
        if (environmentCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(environmentCount), environmentCount, "must be at least 1");
        }
    }

    /// <summary>Throws unless Reset has been called.</summary>
    public static void CheckStarted(bool started, string environment)
    {
        if (!started)
        {
            throw new InvalidOperationException($"{environment}: call Reset(seed) before the first Step");
        }
    }

    /// <summary>Throws unless there are exactly N actions, each in [0, count). Vectorized min/max keeps the check cheap.</summary>
    public static void CheckDiscreteActions(ReadOnlySpan<int> actions, int environmentCount, int count)
    {
        if (actions.Length != environmentCount)
        {
            throw new ArgumentException($"must hold one action per environment: {environmentCount} values, got {actions.Length}", nameof(actions));
        }

        int min = TensorPrimitives.Min(actions);
        int max = TensorPrimitives.Max(actions);
        if (min < 0 || max >= count)
        {
            int bad = min < 0 ? min : max;
            throw new ArgumentOutOfRangeException(nameof(actions), bad, $"every action must be in [0, {count})");
        }
    }

    /// <summary>Throws unless there are exactly N × d actions and none is NaN (out-of-bound values are clipped by the kernels).</summary>
    public static void CheckContinuousActions(ReadOnlySpan<float> actions, int environmentCount, int dimensions)
    {
        long expected = (long)environmentCount * dimensions;
        if (actions.Length != expected)
        {
            throw new ArgumentException($"must hold {dimensions} values per environment: {expected} values, got {actions.Length}", nameof(actions));
        }

        // IEEE 754 maximum propagates NaN, so one vectorized pass finds any NaN.
        if (float.IsNaN(TensorPrimitives.Max(actions)))
        {
            throw new ArgumentException("actions must not contain NaN", nameof(actions));
        }
    }

    /// <summary>Checks a batch of goal rows and returns its row count B.</summary>
    public static int CheckGoalBatch(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int outputLength, int goalSize, string outputName)
    {
        if (achievedGoals.Length % goalSize != 0)
        {
            throw new ArgumentException($"length must be a multiple of the goal size {goalSize}, got {achievedGoals.Length}", nameof(achievedGoals));
        }

        if (desiredGoals.Length != achievedGoals.Length)
        {
            throw new ArgumentException($"must have the same length as achievedGoals ({achievedGoals.Length}), got {desiredGoals.Length}", nameof(desiredGoals));
        }

        int rows = achievedGoals.Length / goalSize;
        if (outputLength != rows)
        {
            throw new ArgumentException($"must hold one value per goal row: {rows} values, got {outputLength}", outputName);
        }

        return rows;
    }

    /// <summary>
    /// The task of each environment: <paramref name="taskIds"/> if given (N values in [0, T)),
    /// else round-robin (environment i runs task i mod T) so every task gets an equal share.
    /// </summary>
    public static int[] AssignTasks(IReadOnlyList<int>? taskIds, int environmentCount, int taskCount)
    {
        var assignment = new int[environmentCount];
        if (taskIds is null)
        {
            for (int i = 0; i < environmentCount; i++)
            {
                assignment[i] = i % taskCount;
            }

            return assignment;
        }

        if (taskIds.Count != environmentCount)
        {
            throw new ArgumentException($"must hold one task id per environment: {environmentCount} values, got {taskIds.Count}", nameof(taskIds));
        }

        for (int i = 0; i < environmentCount; i++)
        {
            int task = taskIds[i];
            if (task < 0 || task >= taskCount)
            {
                throw new ArgumentOutOfRangeException(nameof(taskIds), task, $"task id of environment {i} must be in [0, {taskCount})");
            }

            assignment[i] = task;
        }

        return assignment;
    }
}
