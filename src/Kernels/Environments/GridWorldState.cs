using System;

namespace Mtrl.Kernels.Environments;

/// <summary>Struct-of-arrays state of N GridWorld environments: agent cell, episode counters and task of each.</summary>
public readonly ref struct GridWorldState
{
    /// <summary>Bundles the state spans; all have one element per environment.</summary>
    /// <param name="cells">Agent cell of each environment.</param>
    /// <param name="steps">Steps taken in the current episodes.</param>
    /// <param name="episodes">Episodes started since the last full reset.</param>
    /// <param name="taskIds">Task of each environment.</param>
    public GridWorldState(Span<int> cells, Span<int> steps, Span<uint> episodes, ReadOnlySpan<int> taskIds)
    {
        Cells = cells;
        Steps = steps;
        Episodes = episodes;
        TaskIds = taskIds;
    }

    /// <summary>Agent cell (row-major index).</summary>
    public Span<int> Cells { get; }

    /// <summary>Steps taken in the current episode.</summary>
    public Span<int> Steps { get; }

    /// <summary>Index of the current episode since the last full reset.</summary>
    public Span<uint> Episodes { get; }

    /// <summary>Task each environment runs.</summary>
    public ReadOnlySpan<int> TaskIds { get; }
}
