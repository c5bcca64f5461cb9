using System;
using System.Diagnostics;

namespace Mtrl.Runtime.Profiling;

/// <summary>One timed phase: created by <see cref="TrainingProfile.Measure"/>, ended by <c>using</c>.</summary>
public readonly ref struct PhaseScope
{
    private readonly TrainingProfile? _profile;
    private readonly TrainingPhase _phase;
    private readonly long _start;

    internal PhaseScope(TrainingProfile? profile, TrainingPhase phase)
    {
        _profile = profile;
        _phase = phase;
        _start = profile is null ? 0 : Stopwatch.GetTimestamp();
    }

    /// <summary>Adds the elapsed time to the phase (nothing without a profile).</summary>
    public void Dispose() => _profile?.Add(_phase, _start);
}
