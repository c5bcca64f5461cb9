using System;

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

    /// <summary>
    /// The slots of rows [<paramref name="firstRow"/>, + <paramref name="slots"/>.Length): exactly
    /// <see cref="Select"/> of each row, computed in bulk where the rule allows (several Philox
    /// blocks per vector instruction).
    /// </summary>
    /// <param name="firstRow">First row.</param>
    /// <param name="slots">Receives one slot per row.</param>
    void SelectRows(int firstRow, scoped Span<int> slots);
}
