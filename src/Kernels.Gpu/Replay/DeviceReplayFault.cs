namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Why a device replay refused work. Kernels cannot throw, so the first fault is kept in a device
/// cell, later adds are refused until it is reported (the replay stays as it was), and
/// <see cref="DeviceReplay.ThrowIfFaulted"/> turns it into the CPU buffer's exception.
/// </summary>
internal static class DeviceReplayFault
{
    public const int None = 0;

    /// <summary>A step's task id is outside [0, TaskCount); detail: env, task id.</summary>
    public const int TaskOutOfRange = 1;

    /// <summary>A task id changed in the middle of an episode; detail: env, new task id.</summary>
    public const int TaskChangedMidEpisode = 2;

    /// <summary>A float of a step is NaN or ±∞; detail: env, field (the <c>Field…</c> numbers of <see cref="DeviceAddKernels"/>).</summary>
    public const int NonFinite = 3;

    /// <summary>A termination or truncation flag is neither 0 nor 1; detail: env, field.</summary>
    public const int FlagNotBinary = 4;

    /// <summary>A sample was asked for before any episode ended (kept in its own cell, <see cref="DeviceLedgerViews.Fault"/>[3], so it never blocks adds).</summary>
    public const int NoSampleableTransition = 5;

    /// <summary>A prioritized sample found sampleable slots but a sum tree without positive mass (every priority^α underflowed to 0); kept in the sample cell.</summary>
    public const int NoPriorityMass = 6;
}
