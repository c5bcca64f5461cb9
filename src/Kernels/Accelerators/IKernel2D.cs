namespace Mtrl.Kernels;

/// <summary>
/// A kernel over a two-dimensional index space (for example rows × columns of a batch), so
/// per-cell work needs no index arithmetic in the kernel and a GPU backend can map it onto a grid.
/// </summary>
public interface IKernel2D
{
    /// <summary>Processes one cell; launches call it exactly once for every (i, j) in the grid.</summary>
    /// <param name="i">Row index, in [0, rows).</param>
    /// <param name="j">Column index, in [0, columns).</param>
    void Execute(int i, int j);
}
