using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The per-environment rules of GridWorld shared by its reset and step kernels: actions,
/// episode start and observation encoding.
/// </summary>
/// <remarks>
/// An episode's start cell is drawn from block 0 of its random stream: word 0 picks uniformly
/// (multiply-shift, <see cref="RandomBits.ToSmallIndex"/>) among the task's start cells.
/// </remarks>
public static class GridWorldRules
{
    /// <summary>Number of actions: up, right, down, left.</summary>
    public const int ActionCount = 4;

    /// <summary>Action moving one row up (row − 1).</summary>
    public const int Up = 0;

    /// <summary>Action moving one column right (column + 1).</summary>
    public const int Right = 1;

    /// <summary>Action moving one row down (row + 1).</summary>
    public const int Down = 2;

    /// <summary>Action moving one column left (column − 1).</summary>
    public const int Left = 3;

    /// <summary>Observation width for an encoding and grid size.</summary>
    /// <param name="kind">Encoding.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    public static int ObservationSize(GridObservationKind kind, int width, int height)
        => kind == GridObservationKind.OneHot ? checked(width * height) : 2;

    /// <summary>Draws the start cell of episode <paramref name="episode"/> of environment <paramref name="env"/> for task <paramref name="task"/>.</summary>
    /// <param name="maze">Static tables.</param>
    /// <param name="task">Task of the environment.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    /// <param name="env">Environment index (the RNG stream).</param>
    /// <param name="episode">Episode index of the environment.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StartCell(GridWorldMaze maze, int task, ulong seed, int env, uint episode)
    {
        int first = maze.StartOffsets[task];
        int count = maze.StartOffsets[task + 1] - first;
        PhiloxBlock block = EnvironmentRandom.Block(seed, env, episode, 0);
        return maze.StartCells[first + RandomBits.ToSmallIndex(block.X0, count)];
    }

    /// <summary>Writes the observation row of an agent in <paramref name="cell"/>.</summary>
    /// <param name="kind">Encoding.</param>
    /// <param name="cell">Agent cell.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    /// <param name="row">The environment's observation row (its length is the observation width).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteObservation(GridObservationKind kind, int cell, int width, int height, Span<float> row)
    {
        if (kind == GridObservationKind.OneHot)
        {
            row.Clear();
            row[cell] = 1f;
        }
        else
        {
            (int r, int c) = Math.DivRem(cell, width);
            row[0] = r / (float)(height - 1);
            row[1] = c / (float)(width - 1);
        }
    }
}
