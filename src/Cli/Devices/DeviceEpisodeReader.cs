using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;

namespace Mtrl.Cli.Devices;

/// <summary>
/// Host statistics of a device episode log, read once per point of the run: the episodes finished
/// since the last read go into the pooled and per-task statistics in the CPU loop's order.
/// </summary>
internal sealed class DeviceEpisodeReader(DeviceEpisodeLog log, int taskCount)
{
    private readonly EpisodeStatistics _pooled = new();
    private readonly EpisodeStatistics[] _perTask = Create(taskCount);
    private long _readAt = -1;

    /// <summary>The statistics up to <paramref name="transitions"/> (reads the device when they moved).</summary>
    public (EpisodeStatistics Pooled, EpisodeStatistics[] PerTask) Read(long transitions)
    {
        if (_readAt == transitions) return (_pooled, _perTask);
        var batch = log.ReadNew();
        // Episodes an env's ring could not keep are older than every kept one: they go first and leave the windows.
        foreach (var omitted in batch.Omitted)
        {
            for (var k = 0; k < omitted.Length; k++)
            {
                _pooled.Add(0, 0, false);
                _perTask[omitted.Task].Add(0, 0, false);
            }
        }
        foreach (var episode in batch.Episodes)
        {
            _pooled.Add(episode.Return, episode.Length, episode.Terminated);
            _perTask[episode.Task].Add(episode.Return, episode.Length, episode.Terminated);
        }
        _readAt = transitions;
        return (_pooled, _perTask);
    }

    private static EpisodeStatistics[] Create(int tasks)
    {
        var statistics = new EpisodeStatistics[tasks];
        for (var t = 0; t < tasks; t++) statistics[t] = new EpisodeStatistics(OffPolicyLoop.TaskWindow);
        return statistics;
    }
}
