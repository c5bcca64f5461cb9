using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>The episode log as its kernel sees it: running episodes per env and a ring of finished ones per env.</summary>
internal struct DeviceEpisodeLogViews
{
    /// <summary>Per env: the running episode's return.</summary>
    public ArrayView<double> Returns;

    /// <summary>Per env: the running episode's steps.</summary>
    public ArrayView<int> Lengths;

    /// <summary>Per env: episodes finished so far.</summary>
    public ArrayView<long> Finished;

    /// <summary>Per env × window: vector step in which each logged episode ended.</summary>
    public ArrayView<long> EndSteps;

    /// <summary>Per env × window: returns of the logged episodes.</summary>
    public ArrayView<double> EndReturns;

    /// <summary>Per env × window: lengths of the logged episodes.</summary>
    public ArrayView<int> EndLengths;

    /// <summary>Per env × window: 1 where the logged episode terminated, 0 where it was truncated.</summary>
    public ArrayView<int> EndTerminated;

    /// <summary>Per env × window: task of the logged episode.</summary>
    public ArrayView<int> EndTasks;

    /// <summary>Episodes each env's ring holds.</summary>
    public int Window;
}
