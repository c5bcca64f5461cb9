using ILGPU;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// The episode bookkeeping on the device, with the CPU ledger's meaning (stable-baselines3's
/// <c>ep_start</c> / <c>ep_length</c> per slot, the per-env sampleable run and per-(task, env)
/// counts), plus the ring position and the fault cell. Per-env entries are written only by that
/// env's thread, so adding a row needs no atomics.
/// </summary>
internal struct DeviceLedgerViews
{
    public ArrayView<int> EpisodeStarts;
    public ArrayView<int> EpisodeLengths;
    public ArrayView<int> CurrentStarts;
    public ArrayView<int> CurrentLengths;
    public ArrayView<int> CurrentTasks;
    public ArrayView<int> Broken;
    public ArrayView<int> ValidStarts;
    public ArrayView<int> ValidCounts;

    /// <summary>Sampleable slots per (task, env), task-major.</summary>
    public ArrayView<int> TaskEnvCounts;

    /// <summary>[0] next row to write, [1] rows written at least once.</summary>
    public ArrayView<int> Position;

    /// <summary>
    /// [0] add fault code (<see cref="DeviceReplayFault"/>), [1] env, [2] offending value or field
    /// (first fault wins); [3] <see cref="DeviceReplayFault.NoSampleableTransition"/> once a sample found nothing to draw.
    /// </summary>
    public ArrayView<int> Fault;

    public int Rows;
    public int Envs;
    public int Tasks;
}
