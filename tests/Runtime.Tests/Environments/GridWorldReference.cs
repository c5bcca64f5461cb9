using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// GridWorld written the plain way — a character map, (row, column) moves that stay put when the
/// target is a wall or off the map — to check the table-driven kernel against.
/// </summary>
internal sealed class GridWorldReference
{
    private static readonly (int Row, int Column)[] s_moves = [(-1, 0), (0, 1), (1, 0), (0, -1)];

    private readonly IReadOnlyList<string> _map;
    private readonly IReadOnlyList<GridCell> _goals;
    private readonly GridWorldOptions _options;
    private readonly int[] _taskIds;
    private readonly (int Row, int Column)[] _position;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private readonly int _width;
    private readonly int _height;
    private ulong _seed;

    public GridWorldReference(int environments, GridWorldOptions options, int[] taskIds)
    {
        _map = options.Layout.Rows;
        _goals = options.Layout.TaskGoals;
        _options = options;
        _taskIds = taskIds;
        _height = _map.Count;
        _width = _map[0].Length;
        _position = new (int, int)[environments];
        _steps = new int[environments];
        _episodes = new uint[environments];
    }

    public int ObservationSize => _options.Observation == Kernels.Environments.GridObservationKind.OneHot ? _width * _height : 2;

    public int Successes { get; private set; }

    public int Truncations { get; private set; }

    public ExpectedStep Reset(ulong seed)
    {
        _seed = seed;
        var expected = new ExpectedStep(_position.Length, ObservationSize, 0);
        for (int i = 0; i < _position.Length; i++)
        {
            _episodes[i] = 0;
            Start(i);
            Write(expected.Observation(i), _position[i]);
        }

        return expected;
    }

    public ExpectedStep Step(int[] actions)
    {
        var expected = new ExpectedStep(_position.Length, ObservationSize, 0);
        for (int i = 0; i < _position.Length; i++)
        {
            (int r, int c) = _position[i];
            (int dr, int dc) = s_moves[actions[i]];
            int nr = r + dr, nc = c + dc;
            if (nr >= 0 && nr < _height && nc >= 0 && nc < _width && _map[nr][nc] != '#')
            {
                _position[i] = (nr, nc);
            }

            _steps[i]++;
            GridCell goal = _goals[_taskIds[i]];
            bool terminated = _position[i] == (goal.Row, goal.Column);
            bool truncated = _steps[i] >= _options.MaxEpisodeSteps;
            expected.Rewards[i] = terminated ? _options.GoalReward : -_options.StepCost;
            expected.Terminated[i] = terminated;
            expected.Truncated[i] = truncated;
            expected.Finished[i] = terminated || truncated;
            Successes += terminated ? 1 : 0;
            Truncations += truncated ? 1 : 0;
            if (terminated || truncated)
            {
                Write(expected.FinalObservation(i), _position[i]);
                _episodes[i]++;
                Start(i);
            }

            Write(expected.Observation(i), _position[i]);
        }

        return expected;
    }

    private void Start(int env)
    {
        GridCell goal = _goals[_taskIds[env]];
        var candidates = new List<(int, int)>();
        for (int r = 0; r < _height; r++)
        {
            for (int c = 0; c < _width; c++)
            {
                if (_map[r][c] != '#' && (r, c) != (goal.Row, goal.Column))
                {
                    candidates.Add((r, c));
                }
            }
        }

        PhiloxBlock block = ReferenceRandom.Block(_seed, env, _episodes[env], 0);
        int pick = (int)(((ulong)block.X0 * (ulong)candidates.Count) >> 32);
        _position[env] = candidates[pick];
        _steps[env] = 0;
    }

    private void Write(Span<float> row, (int Row, int Column) position)
    {
        if (_options.Observation == Kernels.Environments.GridObservationKind.OneHot)
        {
            row.Clear();
            row[position.Row * _width + position.Column] = 1f;
        }
        else
        {
            row[0] = position.Row / (float)(_height - 1);
            row[1] = position.Column / (float)(_width - 1);
        }
    }
}
