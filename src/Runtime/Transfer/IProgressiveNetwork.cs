namespace Mtrl.Runtime.Transfer;

/// <summary>
/// A network with progressive columns (Rusu et al. 2016): one column per task, each reading the
/// earlier ones through lateral adapters. Every column is in the parameter layout from the start;
/// a sequential schedule activates one per task and freezes it when its task ends. Generated
/// networks with a <c>progressive</c> node implement it.
/// </summary>
public interface IProgressiveNetwork
{
    /// <summary>Columns in the layout: one per task.</summary>
    int Columns { get; }

    /// <summary>Columns samples may use: 0 .. ActiveColumns − 1 (a network starts with one).</summary>
    int ActiveColumns { get; }

    /// <summary>Activates the next column and returns its index.</summary>
    int AddColumn();

    /// <summary>Freezes column <paramref name="column"/> (its layers, laterals and task readout) in the network's parameter store.</summary>
    void FreezeColumn(int column);

    /// <summary>True once column <paramref name="column"/> is frozen.</summary>
    bool IsColumnFrozen(int column);
}
