using System;
using System.Collections.Generic;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// What an environment accepts as one action: n discrete choices, or a d-dimensional box with
/// per-dimension bounds. Agents size their output heads from it, and trainers size the action
/// buffer (<see cref="Width"/> values per environment) they pass to Step.
/// </summary>
public sealed class ActionSpace
{
    private readonly float[] _low;
    private readonly float[] _high;

    private ActionSpace(ActionKind kind, int count, float[] low, float[] high)
    {
        Kind = kind;
        Count = count;
        _low = low;
        _high = high;
    }

    /// <summary>Discrete or continuous.</summary>
    public ActionKind Kind { get; }

    /// <summary>Number of choices n of a discrete space; 0 for a continuous space.</summary>
    public int Count { get; }

    /// <summary>Dimensions d of a continuous space; 1 for a discrete space (one integer).</summary>
    public int Dimensions => Kind == ActionKind.Discrete ? 1 : _low.Length;

    /// <summary>Values per environment in an action buffer: 1 for discrete, d for continuous.</summary>
    public int Width => Dimensions;

    /// <summary>Lower bound of each continuous dimension (empty for a discrete space).</summary>
    public IReadOnlyList<float> Low => _low;

    /// <summary>Upper bound of each continuous dimension (empty for a discrete space).</summary>
    public IReadOnlyList<float> High => _high;

    /// <summary>A space of <paramref name="count"/> choices, actions 0 .. count − 1.</summary>
    /// <param name="count">n, at least 1.</param>
    public static ActionSpace Discrete(int count)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a discrete action space needs at least 1 action");
        }

        return new ActionSpace(ActionKind.Discrete, count, [], []);
    }

    /// <summary>A box of <paramref name="dimensions"/> dimensions, each bounded by [<paramref name="low"/>, <paramref name="high"/>].</summary>
    /// <param name="dimensions">d, at least 1.</param>
    /// <param name="low">Lower bound of every dimension.</param>
    /// <param name="high">Upper bound of every dimension, at least <paramref name="low"/>.</param>
    public static ActionSpace Continuous(int dimensions, float low, float high)
    {
        if (dimensions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "a continuous action space needs at least 1 dimension");
        }

        var lows = new float[dimensions];
        var highs = new float[dimensions];
        Array.Fill(lows, low);
        Array.Fill(highs, high);
        return Continuous(lows, highs);
    }

    /// <summary>A box with its own bounds per dimension.</summary>
    /// <param name="low">Lower bound of each dimension (d ≥ 1 values, finite).</param>
    /// <param name="high">Upper bound of each dimension (same length, each at least its lower bound).</param>
    public static ActionSpace Continuous(IReadOnlyList<float> low, IReadOnlyList<float> high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Count < 1 || low.Count != high.Count)
        {
            throw new ArgumentException($"low and high must have the same length of at least 1 (got {low.Count} and {high.Count})", nameof(high));
        }

        var lows = new float[low.Count];
        var highs = new float[high.Count];
        for (int d = 0; d < lows.Length; d++)
        {
            lows[d] = low[d];
            highs[d] = high[d];
            if (!(float.IsFinite(lows[d]) && float.IsFinite(highs[d]) && lows[d] <= highs[d]))
            {
                throw new ArgumentOutOfRangeException(nameof(high), $"bounds of dimension {d} must be finite with low <= high (got [{lows[d]}, {highs[d]}])");
            }
        }

        return new ActionSpace(ActionKind.Continuous, 0, lows, highs);
    }

    /// <inheritdoc />
    public override string ToString()
        => Kind == ActionKind.Discrete ? $"Discrete({Count})" : $"Continuous({Dimensions}, [{string.Join(", ", _low)}] .. [{string.Join(", ", _high)}])";
}
