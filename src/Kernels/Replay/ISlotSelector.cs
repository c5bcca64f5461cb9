namespace Mtrl.Kernels.Replay;

/// <summary>
/// Picks the storage slot for one batch row from counter-based random numbers: the part of a
/// sampler that differs between uniform, task-balanced and prioritized replay. A struct
/// implementation is inlined into <see cref="TransitionGather"/>'s kernel, so choosing and
/// gathering a row is one pass.
/// </summary>
public interface ISlotSelector
{
    /// <summary>The slot for batch row <paramref name="row"/>; a pure function of the row and the selector's inputs.</summary>
    /// <param name="row">Row index in the batch.</param>
    int Select(int row);
}
