using System;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Algorithms;

/// <summary>Returns, lengths and endings of the most recent finished episodes, over a fixed window.</summary>
public sealed class EpisodeStatistics
{
    private readonly double[] _returns;
    private readonly int[] _lengths;
    private readonly bool[] _terminated;
    private int _next;

    /// <summary>Keeps the last <paramref name="window"/> episodes.</summary>
    public EpisodeStatistics(int window = 100)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "must be at least 1");
        _returns = new double[window];
        _lengths = new int[window];
        _terminated = new bool[window];
    }

    /// <summary>How many of the most recent episodes the statistics cover.</summary>
    public int Window => _returns.Length;

    /// <summary>Episodes finished since the start.</summary>
    public long Episodes { get; private set; }

    /// <summary>Episodes in the window.</summary>
    public int Count => (int)Math.Min(Episodes, _returns.Length);

    /// <summary>Mean undiscounted return over the window (NaN before the first episode).</summary>
    public double MeanReturn => Mean(_returns);

    /// <summary>Mean length over the window (NaN before the first episode).</summary>
    public double MeanLength
    {
        get
        {
            if (Count == 0) return double.NaN;
            double sum = 0;
            for (var i = 0; i < Count; i++) sum += _lengths[i];
            return sum / Count;
        }
    }

    /// <summary>
    /// Share of the window's episodes that ended by termination rather than truncation (NaN
    /// before the first episode): the success rate in goal environments that terminate on success.
    /// </summary>
    public double TerminationRate
    {
        get
        {
            if (Count == 0) return double.NaN;
            var terminated = 0;
            for (var i = 0; i < Count; i++) terminated += _terminated[i] ? 1 : 0;
            return (double)terminated / Count;
        }
    }

    /// <summary>Records one finished episode.</summary>
    public void Add(double episodeReturn, int length, bool terminated)
    {
        _returns[_next] = episodeReturn;
        _lengths[_next] = length;
        _terminated[_next] = terminated;
        _next = (_next + 1) % _returns.Length;
        Episodes++;
    }

    /// <summary>Writes the window and counters under <paramref name="prefix"/> (returns as their exact bits).</summary>
    internal void SaveState(Checkpoint checkpoint, string prefix)
    {
        var returns = new long[_returns.Length];
        var lengths = new long[_returns.Length];
        var terminated = new long[_returns.Length];
        for (var i = 0; i < returns.Length; i++)
        {
            returns[i] = BitConverter.DoubleToInt64Bits(_returns[i]);
            lengths[i] = _lengths[i];
            terminated[i] = _terminated[i] ? 1 : 0;
        }
        checkpoint.Integers[prefix + "returns"] = returns;
        checkpoint.Integers[prefix + "lengths"] = lengths;
        checkpoint.Integers[prefix + "terminated"] = terminated;
        checkpoint.Counters[prefix + "next"] = _next;
        checkpoint.Counters[prefix + "episodes"] = Episodes;
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote into statistics of the same window.</summary>
    /// <exception cref="CheckpointException">A section is missing, has another window, or holds impossible counters.</exception>
    internal void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var returns = checkpoint.RequireIntegers(prefix + "returns", _returns.Length);
        var lengths = checkpoint.RequireIntegers(prefix + "lengths", _returns.Length);
        var terminated = checkpoint.RequireIntegers(prefix + "terminated", _returns.Length);
        var next = checkpoint.Counter(prefix + "next");
        var episodes = checkpoint.Counter(prefix + "episodes");
        if (next < 0 || next >= _returns.Length || episodes < 0)
        {
            throw new CheckpointException($"episode statistics '{prefix}' hold impossible counters (next {next}, episodes {episodes}, window {_returns.Length})");
        }
        for (var i = 0; i < returns.Length; i++)
        {
            if (lengths[i] is < 0 or > int.MaxValue) throw new CheckpointException($"episode statistics '{prefix}' hold an impossible episode length {lengths[i]}");
            _returns[i] = BitConverter.Int64BitsToDouble(returns[i]);
            _lengths[i] = (int)lengths[i];
            _terminated[i] = terminated[i] != 0;
        }
        _next = (int)next;
        Episodes = episodes;
    }

    private double Mean(double[] values)
    {
        if (Count == 0) return double.NaN;
        double sum = 0;
        for (var i = 0; i < Count; i++) sum += values[i];
        return sum / Count;
    }
}
