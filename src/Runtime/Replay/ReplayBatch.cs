using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// A preallocated, reusable batch that the samplers of a <see cref="ReplayBuffer"/> overwrite:
/// every field is a flat array of size × width, so a training loop allocates its batch once and
/// sampling allocates nothing. Observations and goals arrive as float32 rows whatever the buffer's
/// storage types (compact columns are decoded while gathering), unless the batch is made with
/// <see cref="BatchLayout.Encoded"/>, which keeps compact fields in their stored encoding.
/// </summary>
/// <remarks>
/// Rows [<see cref="RelabeledStart"/>, <see cref="Size"/>) carry hindsight goals after
/// <see cref="ReplayBuffer.Relabel{TReward}"/> (the real rows come first, as in SB3's output).
/// After <see cref="ReplayBuffer.SampleBalanced"/> rows are grouped by task:
/// task t owns rows [<see cref="TaskRowStarts"/>[t], <see cref="TaskRowStarts"/>[t + 1]).
/// </remarks>
public sealed class ReplayBatch
{
    /// <summary>Creates a batch of <paramref name="size"/> rows shaped for buffers with <paramref name="options"/>.</summary>
    /// <param name="options">The buffer's options (widths, action kind, goals, element types, tasks).</param>
    /// <param name="size">Rows per batch; at least 1, and small enough that size × the widest field fits one array.</param>
    /// <param name="layout">Whether compact observation and goal fields arrive decoded to floats (default) or in their stored encoding.</param>
    public ReplayBatch(ReplayBufferOptions options, int size, BatchLayout layout = BatchLayout.Decoded)
    {
        if (layout is not (BatchLayout.Decoded or BatchLayout.Encoded))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "layout must be Decoded or Encoded");
        }

        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int widest = Math.Max(options.ObservationWidth, Math.Max(options.ActionWidth, options.GoalWidth));
        int largest = Array.MaxLength / widest;
        if (size < 1 || size > largest)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"size must be in [1, {largest}]");
        }

        Options = options;
        Size = size;
        int o = options.ObservationWidth;
        int a = options.ActionWidth;
        int g = options.GoalWidth;
        Layout = layout;
        ColumnElementType observationType = options.ObservationElementType;
        ColumnElementType goalType = options.GoalElementType;
        bool encodedObservations = layout == BatchLayout.Encoded && observationType != ColumnElementType.Float32;
        bool encodedGoals = layout == BatchLayout.Encoded && goalType != ColumnElementType.Float32;
        int observationFloats = encodedObservations ? 0 : size * o;
        int observationBytes = encodedObservations ? size * ColumnEncoding.RowBytes(observationType, o) : 0;
        int goalFloats = encodedGoals ? 0 : size * g;
        int goalBytes = encodedGoals ? size * ColumnEncoding.RowBytes(goalType, g) : 0;

        // A decoded batch of bit-packed goals also keeps the goals the reward compares packed.
        int rewardGoalBytes = goalBytes > 0 || goalType != ColumnElementType.Bit ? goalBytes : size * ColumnEncoding.RowBytes(goalType, g);
        Observations = new float[observationFloats];
        NextObservations = new float[observationFloats];
        EncodedObservations = new byte[observationBytes];
        EncodedNextObservations = new byte[observationBytes];
        Actions = options.DiscreteActions ? [] : new float[size * a];
        DiscreteActions = options.DiscreteActions ? new int[size * a] : [];
        Rewards = new float[size];
        Terminated = new float[size];
        Truncated = new float[size];
        TaskIds = new int[size];
        AchievedGoals = new float[goalFloats];
        NextAchievedGoals = new float[goalFloats];
        DesiredGoals = new float[goalFloats];
        EncodedAchievedGoals = new byte[goalBytes];
        EncodedNextAchievedGoals = new byte[rewardGoalBytes];
        EncodedDesiredGoals = new byte[rewardGoalBytes];

        // Float goals for a goal reward over floats when the goals stay encoded.
        int scratch = encodedGoals ? size * g : 0;
        RewardAchievedGoals = new float[scratch];
        RewardDesiredGoals = new float[scratch];
        Slots = new int[size];
        GoalSlots = new int[size];
        Weights = new float[size];
        TaskRowStarts = new int[options.TaskCount + 1];
    }

    /// <summary>The shape this batch was made for; samplers refuse buffers of another shape.</summary>
    public ReplayBufferOptions Options { get; }

    /// <summary>Rows per batch.</summary>
    public int Size { get; }

    /// <summary>Observations, size × observation width.</summary>
    public float[] Observations { get; }

    /// <summary>Observations after the step, size × observation width.</summary>
    public float[] NextObservations { get; }

    /// <summary>Continuous actions, size × action width; empty for discrete actions.</summary>
    public float[] Actions { get; }

    /// <summary>Discrete actions, size × action width; empty for continuous actions.</summary>
    public int[] DiscreteActions { get; }

    /// <summary>Rewards (recomputed for relabeled rows).</summary>
    public float[] Rewards { get; }

    /// <summary>1 where the step terminated the episode, else 0 (recomputed for relabeled rows when the goal reward defines termination).</summary>
    public float[] Terminated { get; }

    /// <summary>1 where the step was cut by a time limit, else 0.</summary>
    public float[] Truncated { get; }

    /// <summary>Task of each row.</summary>
    public int[] TaskIds { get; }

    /// <summary>Achieved goals before the step, size × goal width.</summary>
    public float[] AchievedGoals { get; }

    /// <summary>Achieved goals after the step, size × goal width.</summary>
    public float[] NextAchievedGoals { get; }

    /// <summary>Desired goals of the observation and the next observation (relabeled rows hold the substitute), size × goal width.</summary>
    public float[] DesiredGoals { get; }

    /// <summary>Observations in their stored encoding (rows of ColumnEncoding.RowBytes bytes) for an <see cref="BatchLayout.Encoded"/> batch of a compact observation column; else empty.</summary>
    public byte[] EncodedObservations { get; }

    /// <summary>Observations after the step in their stored encoding, like <see cref="EncodedObservations"/>.</summary>
    public byte[] EncodedNextObservations { get; }

    /// <summary>Achieved goals in their stored encoding, for an <see cref="BatchLayout.Encoded"/> batch of a compact goal column; else empty.</summary>
    public byte[] EncodedAchievedGoals { get; }

    /// <summary>
    /// Next achieved goals in their stored encoding: for an <see cref="BatchLayout.Encoded"/> batch
    /// of a compact goal column, and for any batch of bit-packed goals (the packed goal reward reads
    /// them); else empty.
    /// </summary>
    public byte[] EncodedNextAchievedGoals { get; }

    /// <summary>Desired goals (relabeled rows hold the substitute) in their stored encoding, like <see cref="EncodedNextAchievedGoals"/>.</summary>
    public byte[] EncodedDesiredGoals { get; }

    /// <summary>How compact observation and goal fields are delivered.</summary>
    public BatchLayout Layout { get; }

    /// <summary>The storage slot of each row: the handle for <see cref="ReplayBuffer.UpdatePriorities"/>.</summary>
    public int[] Slots { get; }

    /// <summary>For relabeled rows the slot whose next achieved goal became the goal; −1 for real rows.</summary>
    public int[] GoalSlots { get; }

    /// <summary>Importance-sampling weights (prioritized sampling, normalised so the largest is 1); 1 for the other samplers.</summary>
    public float[] Weights { get; }

    /// <summary>Row ranges per task after <see cref="ReplayBuffer.SampleBalanced"/> (tasks + 1 entries); meaningless after other samplers.</summary>
    public int[] TaskRowStarts { get; }

    /// <summary>First relabeled row; equals <see cref="Size"/> when no row is relabeled.</summary>
    public int RelabeledStart { get; internal set; }

    /// <summary>True after <see cref="ReplayBuffer.SampleBalanced"/>, when rows are grouped by task.</summary>
    public bool IsGroupedByTask { get; internal set; }

    /// <summary>Decoded next achieved goals of relabeled rows, for a goal reward over floats when the goals stay encoded.</summary>
    internal float[] RewardAchievedGoals { get; }

    /// <summary>Decoded desired goals of relabeled rows, as <see cref="RewardAchievedGoals"/>.</summary>
    internal float[] RewardDesiredGoals { get; }

    /// <summary>The buffer that filled the batch and that buffer's version at the time, so relabeling can refuse stale batches.</summary>
    internal (ReplayBuffer? Buffer, long Version) SampledFrom { get; set; }

    /// <summary>Writable views for the gather kernels.</summary>
    internal BatchColumns Columns => new()
    {
        Observations = Observations,
        NextObservations = NextObservations,
        Actions = Actions,
        DiscreteActions = DiscreteActions,
        Rewards = Rewards,
        Terminated = Terminated,
        Truncated = Truncated,
        TaskIds = TaskIds,
        AchievedGoals = AchievedGoals,
        NextAchievedGoals = NextAchievedGoals,
        DesiredGoals = DesiredGoals,
        EncodedObservations = EncodedObservations,
        EncodedNextObservations = EncodedNextObservations,
        EncodedAchievedGoals = EncodedAchievedGoals,
        EncodedNextAchievedGoals = EncodedNextAchievedGoals,
        EncodedDesiredGoals = EncodedDesiredGoals,
        Slots = Slots,
    };
}
