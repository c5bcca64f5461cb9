namespace Mtrl.Runtime.Environments;

/// <summary>
/// Environments whose whole state can be saved into and restored from a checkpoint, so that a
/// resumed training run continues exactly as an uninterrupted one.
/// </summary>
/// <remarks>
/// The state is everything that changes after construction: the per-environment state arrays
/// (positions, step and episode counters, goals, per-episode physics), the seed, whether Reset
/// has been called, and every buffer of <see cref="IVectorEnvironment.Buffers"/>, which trainers
/// read before the next Step. Construction arguments (options, task assignment) are not
/// restored: build the environment as the saved one was built, then restore into it; it need not
/// be Reset.
/// </remarks>
public interface IResumableEnvironment
{
    /// <summary>Writes the complete state under names starting with <paramref name="prefix"/>.</summary>
    void SaveState(Mtrl.Runtime.Checkpoints.Checkpoint checkpoint, string prefix);

    /// <summary>Restores what SaveState wrote; afterwards every Step gives exactly what the saved environment's would have. Throws CheckpointException (naming the section and the mismatch) when the checkpoint was saved by an environment of another kind, count or size.</summary>
    void RestoreState(Mtrl.Runtime.Checkpoints.Checkpoint checkpoint, string prefix);
}
