using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// The map of a multi-task GridWorld: walls, free cells and one goal cell per task (tasks share
/// the rooms and differ in where the reward is, as in Distral's grid worlds). Builds the tables
/// the kernels step with: successors with walls applied, goal cells, and each task's start
/// cells (every free cell except its goal).
/// </summary>
public sealed class GridWorldLayout
{
    private readonly bool[] _walls;

    /// <summary>Parses a map and the goal of each task.</summary>
    /// <param name="rows">Map rows of equal length: '#' is a wall, '.' or ' ' a free cell. The grid must be at least 2 × 2; moves off the map are blocked like walls.</param>
    /// <param name="taskGoals">Goal cell of each task (at least one); each must be a free cell of the map.</param>
    public GridWorldLayout(IReadOnlyList<string> rows, IReadOnlyList<GridCell> taskGoals)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(taskGoals);
        if (rows.Count < 2 || rows[0].Length < 2)
        {
            throw new ArgumentException("the map must have at least 2 rows and 2 columns", nameof(rows));
        }

        Height = rows.Count;
        Width = rows[0].Length;
        _walls = new bool[checked(Width * Height)];
        for (int r = 0; r < Height; r++)
        {
            if (rows[r].Length != Width)
            {
                throw new ArgumentException($"row {r} has {rows[r].Length} characters; every row must have {Width}", nameof(rows));
            }

            for (int c = 0; c < Width; c++)
            {
                _walls[r * Width + c] = rows[r][c] switch
                {
                    '#' => true,
                    '.' or ' ' => false,
                    char other => throw new ArgumentException($"row {r} column {c}: '{other}' is not a map character ('#' wall, '.' or ' ' free)", nameof(rows)),
                };
            }
        }

        if (taskGoals.Count == 0)
        {
            throw new ArgumentException("at least one task goal is required", nameof(taskGoals));
        }

        for (int t = 0; t < taskGoals.Count; t++)
        {
            GridCell goal = taskGoals[t];
            if (goal.Row < 0 || goal.Row >= Height || goal.Column < 0 || goal.Column >= Width)
            {
                throw new ArgumentOutOfRangeException(nameof(taskGoals), goal, $"goal of task {t} must be inside the {Height} × {Width} map");
            }

            if (IsWall(goal.Row, goal.Column))
            {
                throw new ArgumentException($"goal of task {t} at {goal} is a wall", nameof(taskGoals));
            }
        }

        if (_walls.Count(wall => !wall) < 2)
        {
            throw new ArgumentException("the map needs at least two free cells (a start and a goal)", nameof(rows));
        }

        Rows = rows.ToArray();
        TaskGoals = taskGoals.ToArray();
        BuildTables();
    }

    /// <summary>Columns of the map.</summary>
    public int Width { get; }

    /// <summary>Rows of the map.</summary>
    public int Height { get; }

    /// <summary>The map as given.</summary>
    public IReadOnlyList<string> Rows { get; }

    /// <summary>Goal cell of each task.</summary>
    public IReadOnlyList<GridCell> TaskGoals { get; }

    /// <summary>Successor of each (cell, action), row-major cells × 4 actions, walls applied.</summary>
    internal int[] Transitions { get; private set; } = [];

    /// <summary>Goal cell index of each task.</summary>
    internal int[] GoalCells { get; private set; } = [];

    /// <summary>Start cells of all tasks, concatenated.</summary>
    internal int[] StartCells { get; private set; } = [];

    /// <summary>Tasks + 1 offsets into <see cref="StartCells"/>.</summary>
    internal int[] StartOffsets { get; private set; } = [];

    /// <summary>
    /// Sutton, Precup and Singh's four-room map (13 × 13 with outer walls, rooms joined by four
    /// doorways) with four tasks whose goals sit in the far corner of each room: (1, 1), (1, 11),
    /// (11, 1) and (11, 11).
    /// </summary>
    public static GridWorldLayout FourRooms() => new(
        [
            "#############",
            "#.....#.....#",
            "#.....#.....#",
            "#...........#",
            "#.....#.....#",
            "#.....#.....#",
            "##.####.....#",
            "#.....###.###",
            "#.....#.....#",
            "#.....#.....#",
            "#...........#",
            "#.....#.....#",
            "#############",
        ],
        [new GridCell(1, 1), new GridCell(1, 11), new GridCell(11, 1), new GridCell(11, 11)]);

    /// <summary>Whether the cell at (<paramref name="row"/>, <paramref name="column"/>) is a wall.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public bool IsWall(int row, int column) => _walls[row * Width + column];

    /// <summary>The tables in the form the kernels take (public so a device back end can copy them).</summary>
    public GridWorldMaze Maze() => new(Width, Height, Transitions, GoalCells, StartCells, StartOffsets);

    private void BuildTables()
    {
        int cells = Width * Height;
        var transitions = new int[cells * GridWorldRules.ActionCount];
        for (int r = 0; r < Height; r++)
        {
            for (int c = 0; c < Width; c++)
            {
                int cell = r * Width + c;
                transitions[cell * GridWorldRules.ActionCount + GridWorldRules.Up] = Move(r, c, r - 1, c);
                transitions[cell * GridWorldRules.ActionCount + GridWorldRules.Right] = Move(r, c, r, c + 1);
                transitions[cell * GridWorldRules.ActionCount + GridWorldRules.Down] = Move(r, c, r + 1, c);
                transitions[cell * GridWorldRules.ActionCount + GridWorldRules.Left] = Move(r, c, r, c - 1);
            }
        }

        var goals = TaskGoals.Select(g => g.Row * Width + g.Column).ToArray();
        var starts = new List<int>();
        var offsets = new int[goals.Length + 1];
        for (int t = 0; t < goals.Length; t++)
        {
            offsets[t] = starts.Count;
            for (int cell = 0; cell < cells; cell++)
            {
                if (!_walls[cell] && cell != goals[t])
                {
                    starts.Add(cell);
                }
            }
        }

        offsets[goals.Length] = starts.Count;
        Transitions = transitions;
        GoalCells = goals;
        StartCells = starts.ToArray();
        StartOffsets = offsets;
    }

    private int Move(int row, int column, int toRow, int toColumn)
    {
        bool blocked = toRow < 0 || toRow >= Height || toColumn < 0 || toColumn >= Width || _walls[toRow * Width + toColumn];
        return blocked ? row * Width + column : toRow * Width + toColumn;
    }
}
