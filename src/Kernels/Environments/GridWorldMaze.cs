using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// A GridWorld's static tables, precomputed from its layout so a step is a table lookup:
/// the successor of every (cell, action) with walls already applied, each task's goal cell and
/// each task's list of start cells. Cells are numbered row-major (cell = row·width + column).
/// </summary>
public readonly ref struct GridWorldMaze
{
    /// <summary>Bundles the tables.</summary>
    /// <param name="width">Columns of the grid.</param>
    /// <param name="height">Rows of the grid.</param>
    /// <param name="transitions">cells × 4 successors: entry cell·4 + action is the cell reached (the same cell when a wall blocks).</param>
    /// <param name="taskGoals">Goal cell of each task.</param>
    /// <param name="startCells">Start cells of all tasks, task after task.</param>
    /// <param name="startOffsets">Tasks + 1 offsets: task t starts from startCells[startOffsets[t] .. startOffsets[t + 1]).</param>
    public GridWorldMaze(int width, int height, ReadOnlySpan<int> transitions, ReadOnlySpan<int> taskGoals, ReadOnlySpan<int> startCells, ReadOnlySpan<int> startOffsets)
    {
        Width = width;
        Height = height;
        Transitions = transitions;
        TaskGoals = taskGoals;
        StartCells = startCells;
        StartOffsets = startOffsets;
    }

    /// <summary>Columns of the grid.</summary>
    public int Width { get; }

    /// <summary>Rows of the grid.</summary>
    public int Height { get; }

    /// <summary>Successor cell of each (cell, action), walls applied.</summary>
    public ReadOnlySpan<int> Transitions { get; }

    /// <summary>Goal cell of each task.</summary>
    public ReadOnlySpan<int> TaskGoals { get; }

    /// <summary>Start cells of all tasks, concatenated.</summary>
    public ReadOnlySpan<int> StartCells { get; }

    /// <summary>Where each task's start cells begin in <see cref="StartCells"/> (tasks + 1 entries).</summary>
    public ReadOnlySpan<int> StartOffsets { get; }
}
