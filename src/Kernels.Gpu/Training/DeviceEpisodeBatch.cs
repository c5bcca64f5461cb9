using System.Collections.Generic;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>What one read of a <see cref="DeviceEpisodeLog"/> returns.</summary>
/// <param name="Episodes">The episodes finished since the last read, by vector step then env.</param>
/// <param name="Omitted">
/// Per env that finished more episodes than its ring holds: the env, its task and in
/// <see cref="DeviceEpisodeRecord.Length"/> how many of its oldest episodes were lost (they count
/// as finished episodes but carry no return); empty in a run read often enough.
/// </param>
public sealed record DeviceEpisodeBatch(IReadOnlyList<DeviceEpisodeRecord> Episodes, IReadOnlyList<DeviceEpisodeRecord> Omitted);
