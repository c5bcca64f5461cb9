using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>Inputs, poisoning and tolerance checks shared by the kernel tests.</summary>
internal static class TestData
{
    /// <summary>Uniform values in [low, high) from a fixed seed, so failures reproduce.</summary>
    public static float[] Uniform(int length, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = low + ((high - low) * (float)random.NextDouble());
        }

        return values;
    }

    /// <summary>An array full of NaN: any element a kernel forgets to write stays NaN and fails the comparison.</summary>
    public static float[] Poisoned(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    /// <summary>Asserts |actual − expected| ≤ absolute + relative·|expected| element by element, naming the first offender.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double absolute, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= absolute + (relative * Math.Abs(expected[i]))))
            {
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]:R}, expected {expected[i]:R} (error {error:E3}).");
            }
        }
    }
}
