namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// A host copy of a device replay's episode bookkeeping (one synchronising read), for inspection
/// and for tests that hold it against the CPU buffer's <c>Episodes</c>.
/// </summary>
/// <param name="EpisodeStarts">Row at which each slot's episode starts.</param>
/// <param name="EpisodeLengths">Length of each slot's finished, intact episode; 0 = not sampleable.</param>
/// <param name="ValidStarts">Per env: first row of the sampleable run.</param>
/// <param name="ValidCounts">Per env: rows in the sampleable run.</param>
/// <param name="TaskEnvCounts">Sampleable slots per (task, env), task-major.</param>
/// <param name="Position">Next row to write.</param>
/// <param name="FilledRows">Rows written at least once.</param>
public sealed record DeviceEpisodeSnapshot(
    int[] EpisodeStarts, int[] EpisodeLengths, int[] ValidStarts, int[] ValidCounts, int[] TaskEnvCounts, int Position, int FilledRows);
