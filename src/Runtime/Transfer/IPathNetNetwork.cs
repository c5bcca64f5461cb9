using System;
using System.Collections.Generic;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// A network with a PathNet grid (Fernando et al. 2017): <see cref="PathLayers"/> layers of
/// <see cref="PathModules"/> modules, of which each task's pathway uses at most
/// <see cref="PathActive"/> per layer (their outputs summed). Generated networks with a
/// <c>pathnet</c> node implement it; the pathways live in the network object, the modules in its
/// parameter store.
/// </summary>
public interface IPathNetNetwork
{
    /// <summary>Tasks, each with its own pathway and readout.</summary>
    int Tasks { get; }

    /// <summary>Layers of the grid.</summary>
    int PathLayers { get; }

    /// <summary>Modules per layer.</summary>
    int PathModules { get; }

    /// <summary>Most modules a pathway uses in one layer.</summary>
    int PathActive { get; }

    /// <summary>Sets the modules task <paramref name="task"/> uses in <paramref name="layer"/>: 1 to PathActive distinct modules in [0, PathModules).</summary>
    void SetPathway(int task, int layer, ReadOnlySpan<int> modules);

    /// <summary>The modules task <paramref name="task"/> uses in <paramref name="layer"/>, ascending.</summary>
    int[] GetPathway(int task, int layer);

    /// <summary>Freezes the modules on task <paramref name="task"/>'s pathway and its readout in the parameter store.</summary>
    void FreezePathway(int task);

    /// <summary>The weight and bias slices of every module no frozen pathway uses: what PathNet re-initialises when a task ends.</summary>
    IReadOnlyList<ParameterSlice> UnfrozenModuleSlices();

    /// <summary>True when module <paramref name="module"/> of <paramref name="layer"/> is frozen.</summary>
    bool IsModuleFrozen(int layer, int module);
}
