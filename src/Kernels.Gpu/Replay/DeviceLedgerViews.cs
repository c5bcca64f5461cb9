using ILGPU;
using Mtrl.Kernels.Replay;

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

    /// <summary>
    /// With priorities: the sum tree's leaves and nodes (<see cref="SumTree"/>'s layout, 2 × capacity
    /// doubles, slot s's leaf at capacity + s). The add kernel writes leaves only (one writer per
    /// slot); parents are rebuilt level by level before a prioritized sample.
    /// </summary>
    public ArrayView<double> PriorityTree;

    /// <summary>With task-balanced priorities: one tree per task, end to end (task t's at t · 2 × capacity).</summary>
    public ArrayView<double> TaskPriorityTrees;

    /// <summary>With priorities: [0] the bits of the largest priority so far (new episodes enter with it^α), see <see cref="DevicePriorityKernels"/>.</summary>
    public ArrayView<long> PriorityState;

    /// <summary>1 when the replay keeps priorities.</summary>
    public int Prioritized;

    /// <summary>1 when it keeps per-task trees too.</summary>
    public int TaskPriorities;

    /// <summary>α, as a double (the CPU index's exponent).</summary>
    public double PriorityExponent;

    public int Rows;
    public int Envs;
    public int Tasks;
}
