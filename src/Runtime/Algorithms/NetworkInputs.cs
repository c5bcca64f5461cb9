using System;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// One batch of network inputs as environments and replay buffers hold them: observation rows
/// (an agent's <c>input</c>s side by side, in declaration order), goal rows (its <c>goal</c>s,
/// empty for agents without goals) and task ids (empty means task 0 for every row).
/// </summary>
public readonly ref struct NetworkInputs
{
    /// <summary>Bundles one batch of <paramref name="count"/> rows.</summary>
    public NetworkInputs(ReadOnlySpan<float> observations, ReadOnlySpan<float> goals, ReadOnlySpan<int> tasks, int count)
    {
        Observations = observations;
        Goals = goals;
        Tasks = tasks;
        Count = count;
    }

    /// <summary>Count × observation width.</summary>
    public ReadOnlySpan<float> Observations { get; }

    /// <summary>Count × goal width, or empty.</summary>
    public ReadOnlySpan<float> Goals { get; }

    /// <summary>Count task ids, or empty for single-task agents.</summary>
    public ReadOnlySpan<int> Tasks { get; }

    /// <summary>Rows in the batch.</summary>
    public int Count { get; }
}
