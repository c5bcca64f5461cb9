namespace Mtrl.Runtime.Replay;

/// <summary>
/// In which form a <see cref="ReplayBatch"/> receives the observation and goal fields of a buffer
/// that stores them compactly (<see cref="ReplayBufferOptions.ObservationElementType"/>,
/// <see cref="ReplayBufferOptions.GoalElementType"/>). Float32 columns are float rows in both.
/// </summary>
public enum BatchLayout
{
    /// <summary>
    /// Compact fields are decoded to float32 rows while gathering, ready for a network input
    /// (the default). Bit-packed goals are also kept encoded, for the packed goal reward.
    /// </summary>
    Decoded = 0,

    /// <summary>
    /// Compact fields stay in their stored encoding (the batch's <c>Encoded…</c> arrays; the float
    /// arrays of those fields are empty), as stable-baselines3 hands out its int8 observations: the
    /// learner decodes them (<see cref="Mtrl.Kernels.Replay.ColumnEncoding.Decode"/>) or consumes
    /// them directly. A sample then writes a few bytes per field instead of 4 per element.
    /// </summary>
    Encoded = 1,
}
