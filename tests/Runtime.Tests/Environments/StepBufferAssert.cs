using System;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>Poisoning and comparisons of step buffers shared by the environment tests.</summary>
internal static class StepBufferAssert
{
    /// <summary>
    /// Fills every output buffer with values no step writes (NaN floats, true flags) so an element
    /// a kernel forgets to write shows up as a mismatch. Task ids are left alone: Reset writes them.
    /// </summary>
    public static void Poison(VectorStepBuffers buffers)
    {
        Array.Fill(buffers.Observations, float.NaN);
        Array.Fill(buffers.FinalObservations, float.NaN);
        Array.Fill(buffers.Rewards, float.NaN);
        Array.Fill(buffers.Terminated, true);
        Array.Fill(buffers.Truncated, true);
        Array.Fill(buffers.Finished, true);
        Array.Fill(buffers.AchievedGoals, float.NaN);
        Array.Fill(buffers.DesiredGoals, float.NaN);
        Array.Fill(buffers.FinalAchievedGoals, float.NaN);
        Array.Fill(buffers.FinalDesiredGoals, float.NaN);
    }

    /// <summary>
    /// Asserts a poisoned-then-stepped buffer set matches the reference: flags exactly, floats
    /// within <paramref name="tolerance"/> (0 = bit for bit), final rows of finished environments
    /// as expected and final rows of the others still untouched (NaN).
    /// </summary>
    public static void Matches(ExpectedStep expected, VectorStepBuffers actual, float tolerance, string context)
    {
        int n = actual.EnvironmentCount;
        for (int i = 0; i < n; i++)
        {
            string where = $"{context}, env {i}";
            Assert.True(expected.Terminated[i] == actual.Terminated[i], $"{where}: terminated {actual.Terminated[i]}, expected {expected.Terminated[i]}");
            Assert.True(expected.Truncated[i] == actual.Truncated[i], $"{where}: truncated {actual.Truncated[i]}, expected {expected.Truncated[i]}");
            Assert.True(expected.Finished[i] == actual.Finished[i], $"{where}: finished {actual.Finished[i]}, expected {expected.Finished[i]}");
            Close(expected.Rewards[i], actual.Rewards[i], tolerance, where + " reward");
            Rows(expected.Observations, actual.Observations, i, actual.ObservationSize, tolerance, where + " observation");
            Rows(expected.AchievedGoals, actual.AchievedGoals, i, actual.GoalSize, tolerance, where + " achieved goal");
            Rows(expected.DesiredGoals, actual.DesiredGoals, i, actual.GoalSize, tolerance, where + " desired goal");
            if (expected.Finished[i])
            {
                Rows(expected.FinalObservations, actual.FinalObservations, i, actual.ObservationSize, tolerance, where + " final observation");
                Rows(expected.FinalAchievedGoals, actual.FinalAchievedGoals, i, actual.GoalSize, tolerance, where + " final achieved goal");
                Rows(expected.FinalDesiredGoals, actual.FinalDesiredGoals, i, actual.GoalSize, tolerance, where + " final desired goal");
            }
            else
            {
                AllNaN(actual.FinalObservations.AsSpan(i * actual.ObservationSize, actual.ObservationSize), where + " final observation (untouched)");
                AllNaN(actual.FinalAchievedGoals.AsSpan(i * actual.GoalSize, actual.GoalSize), where + " final achieved goal (untouched)");
                AllNaN(actual.FinalDesiredGoals.AsSpan(i * actual.GoalSize, actual.GoalSize), where + " final desired goal (untouched)");
            }
        }
    }

    /// <summary>Asserts two buffer sets hold the same bits in every buffer.</summary>
    public static void Identical(VectorStepBuffers expected, VectorStepBuffers actual, string context)
    {
        Same(expected.Observations, actual.Observations, context + " observations");
        Same(expected.FinalObservations, actual.FinalObservations, context + " final observations");
        Same(expected.Rewards, actual.Rewards, context + " rewards");
        Assert.Equal(expected.Terminated, actual.Terminated);
        Assert.Equal(expected.Truncated, actual.Truncated);
        Assert.Equal(expected.Finished, actual.Finished);
        Assert.Equal(expected.TaskIds, actual.TaskIds);
        Same(expected.AchievedGoals, actual.AchievedGoals, context + " achieved goals");
        Same(expected.DesiredGoals, actual.DesiredGoals, context + " desired goals");
        Same(expected.FinalAchievedGoals, actual.FinalAchievedGoals, context + " final achieved goals");
        Same(expected.FinalDesiredGoals, actual.FinalDesiredGoals, context + " final desired goals");
    }

    private static void Rows(float[] expected, float[] actual, int env, int width, float tolerance, string where)
    {
        for (int k = 0; k < width; k++)
        {
            Close(expected[env * width + k], actual[env * width + k], tolerance, $"{where}[{k}]");
        }
    }

    private static void Close(float expected, float actual, float tolerance, string where)
    {
        bool ok = tolerance == 0f
            ? BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual)
            : Math.Abs(expected - actual) <= tolerance * Math.Max(1f, Math.Abs(expected));
        Assert.True(ok, $"{where}: got {actual:R}, expected {expected:R}");
    }

    private static void AllNaN(ReadOnlySpan<float> values, string where)
    {
        foreach (float value in values)
        {
            Assert.True(float.IsNaN(value), $"{where}: written ({value:R})");
        }
    }

    private static void Same(float[] expected, float[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{where}[{i}]: {actual[i]:R} differs from {expected[i]:R}");
            }
        }
    }
}
