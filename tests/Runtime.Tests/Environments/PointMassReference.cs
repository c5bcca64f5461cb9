using System;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// PointMass written the plain way from the documented equations — one environment at a time,
/// float32 in the documented order of operations — to check the kernel against bit for bit.
/// </summary>
internal sealed class PointMassReference
{
    private readonly PointMassOptions _options;
    private readonly int[] _taskIds;
    private readonly float[] _px, _py, _vx, _vy, _gx, _gy;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private ulong _seed;

    public PointMassReference(int environments, PointMassOptions options, int[] taskIds)
    {
        _options = options;
        _taskIds = taskIds;
        _px = new float[environments];
        _py = new float[environments];
        _vx = new float[environments];
        _vy = new float[environments];
        _gx = new float[environments];
        _gy = new float[environments];
        _steps = new int[environments];
        _episodes = new uint[environments];
    }

    public int Successes { get; private set; }

    public int Truncations { get; private set; }

    public ExpectedStep Reset(ulong seed)
    {
        _seed = seed;
        var expected = new ExpectedStep(_px.Length, _options.GoalInObservation ? 6 : 4, 2);
        for (int i = 0; i < _px.Length; i++)
        {
            _episodes[i] = 0;
            Start(i);
            Write(expected.Observation(i), expected.Achieved(i), expected.Desired(i), i);
        }

        return expected;
    }

    public ExpectedStep Step(float[] actions)
    {
        var expected = new ExpectedStep(_px.Length, _options.GoalInObservation ? 6 : 4, 2);
        float dt = _options.TimeStep, wall = _options.ArenaHalfSize;
        for (int i = 0; i < _px.Length; i++)
        {
            PointMassTask task = _options.Tasks[_taskIds[i]];
            float ax = Math.Min(1f, Math.Max(-1f, actions[2 * i]));
            float ay = Math.Min(1f, Math.Max(-1f, actions[2 * i + 1]));
            float fx = _options.MaxForce * ax + task.WindX - task.Friction * _vx[i];
            float fy = _options.MaxForce * ay + task.WindY - task.Friction * _vy[i];
            _vx[i] = _vx[i] + dt * (fx / task.Mass);
            _vy[i] = _vy[i] + dt * (fy / task.Mass);
            _px[i] = _px[i] + dt * _vx[i];
            _py[i] = _py[i] + dt * _vy[i];
            if (Math.Abs(_px[i]) > wall)
            {
                _px[i] = Math.Sign(_px[i]) * wall;
                _vx[i] = 0f;
            }

            if (Math.Abs(_py[i]) > wall)
            {
                _py[i] = Math.Sign(_py[i]) * wall;
                _vy[i] = 0f;
            }

            _steps[i]++;
            float dx = _px[i] - _gx[i], dy = _py[i] - _gy[i];
            float distance = MathF.Sqrt(dx * dx + dy * dy);
            bool success = distance <= _options.SuccessRadius;
            bool terminated = success && _options.TerminateOnSuccess;
            bool truncated = _steps[i] >= _options.MaxEpisodeSteps;
            expected.Rewards[i] = _options.SparseReward ? (success ? 0f : -1f) : -distance;
            expected.Terminated[i] = terminated;
            expected.Truncated[i] = truncated;
            expected.Finished[i] = terminated || truncated;
            Successes += success ? 1 : 0;
            Truncations += truncated ? 1 : 0;
            if (terminated || truncated)
            {
                Write(expected.FinalObservation(i), expected.FinalAchieved(i), expected.FinalDesired(i), i);
                _episodes[i]++;
                Start(i);
            }

            Write(expected.Observation(i), expected.Achieved(i), expected.Desired(i), i);
        }

        return expected;
    }

    private void Start(int env)
    {
        PointMassTask task = _options.Tasks[_taskIds[env]];
        PhiloxBlock block = ReferenceRandom.Block(_seed, env, _episodes[env], 0);
        _px[env] = ReferenceRandom.Uniform(block.X0, task.StartX - task.StartHalfWidth, task.StartX + task.StartHalfWidth);
        _py[env] = ReferenceRandom.Uniform(block.X1, task.StartY - task.StartHalfWidth, task.StartY + task.StartHalfWidth);
        _gx[env] = ReferenceRandom.Uniform(block.X2, task.GoalX - task.GoalHalfWidth, task.GoalX + task.GoalHalfWidth);
        _gy[env] = ReferenceRandom.Uniform(block.X3, task.GoalY - task.GoalHalfWidth, task.GoalY + task.GoalHalfWidth);
        _vx[env] = 0f;
        _vy[env] = 0f;
        _steps[env] = 0;
    }

    private void Write(Span<float> observation, Span<float> achieved, Span<float> desired, int env)
    {
        observation[0] = _px[env];
        observation[1] = _py[env];
        observation[2] = _vx[env];
        observation[3] = _vy[env];
        achieved[0] = _px[env];
        achieved[1] = _py[env];
        desired[0] = _gx[env];
        desired[1] = _gy[env];
        if (_options.GoalInObservation)
        {
            observation[4] = _gx[env];
            observation[5] = _gy[env];
        }
    }
}
