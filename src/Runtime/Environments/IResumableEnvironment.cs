using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// Environments whose whole state can be saved into and restored from a checkpoint, so that a
/// resumed training run continues exactly as an uninterrupted one.
/// </summary>
public interface IResumableEnvironment
{
    /// <summary>Writes the complete state under names starting with <paramref name="prefix"/>.</summary>
    void SaveState(Checkpoint checkpoint, string prefix);

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote; afterwards every Step gives exactly what the
    /// saved environment's would have.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint was saved by an environment of another kind, count or size.</exception>
    void RestoreState(Checkpoint checkpoint, string prefix);
}
