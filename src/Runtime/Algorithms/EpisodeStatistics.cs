using System;

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

    private double Mean(double[] values)
    {
        if (Count == 0) return double.NaN;
        double sum = 0;
        for (var i = 0; i < Count; i++) sum += values[i];
        return sum / Count;
    }
}
