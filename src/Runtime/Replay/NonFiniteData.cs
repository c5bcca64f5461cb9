using System;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// One NaN or ±∞ found in training data, and where it came from, so a report can point at the
/// environment (or network) that produced it instead of at the loss that later fails.
/// </summary>
/// <param name="Origin">Who produced the value: "environment" (observations, rewards, goals), "policy" (actions) or "replay insert" (a caller of <see cref="ReplayBuffer.Add"/>).</param>
/// <param name="Field">The field: "observation", "next observation", "reward", "action", "achieved goal", "next achieved goal" or "desired goal".</param>
/// <param name="Environment">Index of the environment in the vector (the env column of the replay row).</param>
/// <param name="Task">Task id the environment was running.</param>
/// <param name="Element">Element within the environment's row of the field (0 for rewards).</param>
/// <param name="Value">The value: NaN, +∞ or −∞.</param>
/// <param name="VectorStep">Vector step (0-based) of the loop, or rows added so far for a direct replay insert.</param>
public sealed record NonFiniteValue(string Origin, string Field, int Environment, int Task, int Element, float Value, long VectorStep)
{
    /// <summary>E.g. "reward of environment 3 (task 1) is NaN at vector step 1207 (from the environment)".</summary>
    public override string ToString()
    {
        string element = Field == "reward" ? string.Empty : $" element {Element}";
        return $"{Field}{element} of environment {Environment} (task {Task}) is {Value.ToString(CultureInfo.InvariantCulture)} at vector step {VectorStep} (from the {Origin})";
    }
}

/// <summary>
/// Training data held NaN or ±∞ and the data-quality policy says to stop
/// (<c>OffPolicyOptions.NonFinite = NonFinitePolicy.Fail</c>), or a caller tried to store such a
/// value in a replay buffer. <see cref="Value"/> says where it came from.
/// </summary>
public sealed class NonFiniteDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteDataException(NonFiniteValue value, string message)
        : base(message) => Value = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>The offending value and its origin.</summary>
    public NonFiniteValue Value { get; }
}

/// <summary>Finding NaN and ±∞ in float spans with SIMD: an exponent of all ones marks both.</summary>
public static class NonFinite
{
    private const uint ExponentMask = 0x7F80_0000u;

    /// <summary>Index of the first NaN or ±∞ in <paramref name="values"/>, or −1 when every value is finite.</summary>
    public static int IndexOf(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<uint>.Count)
        {
            ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(values);
            var mask = new Vector<uint>(ExponentMask);
            for (; i <= bits.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                if (Vector.EqualsAny(new Vector<uint>(bits[i..]) & mask, mask))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The first non-finite value of a field laid out env-major, <paramref name="width"/> values per
    /// environment, as a <see cref="NonFiniteValue"/>; null when all are finite.
    /// </summary>
    /// <param name="values">Environments × width values.</param>
    /// <param name="width">Values per environment.</param>
    /// <param name="taskIds">Task of each environment; empty means task 0.</param>
    /// <param name="origin">See <see cref="NonFiniteValue.Origin"/>.</param>
    /// <param name="field">See <see cref="NonFiniteValue.Field"/>.</param>
    /// <param name="vectorStep">See <see cref="NonFiniteValue.VectorStep"/>.</param>
    public static NonFiniteValue? Find(ReadOnlySpan<float> values, int width, ReadOnlySpan<int> taskIds, string origin, string field, long vectorStep)
    {
        int index = IndexOf(values);
        if (index < 0)
        {
            return null;
        }

        int environment = index / width;
        int task = taskIds.IsEmpty ? 0 : taskIds[environment];
        return new NonFiniteValue(origin, field, environment, task, index - (environment * width), values[index], vectorStep);
    }

    /// <summary>Sets <paramref name="flags"/>[e] for every environment e whose row of <paramref name="values"/> holds a non-finite value.</summary>
    public static void MarkRows(ReadOnlySpan<float> values, int width, Span<bool> flags)
    {
        if (width == 0)
        {
            return;
        }

        for (int start = 0; ;)
        {
            int found = IndexOf(values[start..]);
            if (found < 0)
            {
                return;
            }

            int environment = (start + found) / width;
            flags[environment] = true;
            start = (environment + 1) * width;
            if (start >= values.Length)
            {
                return;
            }
        }
    }
}
