using System;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// CartPole-v1 written like Gymnasium's cartpole.py: the state in float64, one environment at a
/// time, with the documented per-episode draws of start state and physics. Because the kernel
/// keeps float32 (and vector sine/cosine), <see cref="Step"/> starts each step from the state the
/// kernel reported and compares one step at a time within a tolerance.
/// </summary>
internal sealed class CartPoleReference
{
    private const double Gravity = 9.8, Tau = 0.02, XThreshold = 2.4;
    private static readonly double s_thetaThreshold = 12 * 2 * Math.PI / 360;

    private readonly (float Low, float High)[] _ranges;
    private readonly int _maxSteps;
    private readonly double[][] _state;
    private readonly double[] _massCart, _massPole, _length, _force;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private ulong _seed;

    public CartPoleReference(int environments, (float Low, float High) massCart, (float Low, float High) massPole,
        (float Low, float High) halfLength, (float Low, float High) force, int maxSteps = 500)
    {
        _ranges = [massCart, massPole, halfLength, force];
        _maxSteps = maxSteps;
        _state = new double[environments][];
        _massCart = new double[environments];
        _massPole = new double[environments];
        _length = new double[environments];
        _force = new double[environments];
        _steps = new int[environments];
        _episodes = new uint[environments];
    }

    public int Terminations { get; private set; }

    public int Truncations { get; private set; }

    public double MassCart(int env) => _massCart[env];

    public ExpectedStep Reset(ulong seed)
    {
        _seed = seed;
        var expected = new ExpectedStep(_state.Length, 4, 0);
        for (int i = 0; i < _state.Length; i++)
        {
            _episodes[i] = 0;
            Start(i);
            Write(expected.Observation(i), _state[i]);
        }

        return expected;
    }

    /// <summary>Steps from the observations the kernel reported last (its float32 state).</summary>
    public ExpectedStep Step(int[] actions, ReadOnlySpan<float> reportedObservations)
    {
        var expected = new ExpectedStep(_state.Length, 4, 0);
        for (int i = 0; i < _state.Length; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                _state[i][k] = reportedObservations[i * 4 + k];
            }

            double x = _state[i][0], xDot = _state[i][1], theta = _state[i][2], thetaDot = _state[i][3];
            double force = actions[i] == 1 ? _force[i] : -_force[i];
            double totalMass = _massPole[i] + _massCart[i];
            double poleMassLength = _massPole[i] * _length[i];
            double cos = Math.Cos(theta), sin = Math.Sin(theta);
            double temp = (force + poleMassLength * thetaDot * thetaDot * sin) / totalMass;
            double thetaAcc = (Gravity * sin - cos * temp) / (_length[i] * (4.0 / 3.0 - _massPole[i] * cos * cos / totalMass));
            double xAcc = temp - poleMassLength * thetaAcc * cos / totalMass;
            x += Tau * xDot;
            xDot += Tau * xAcc;
            theta += Tau * thetaDot;
            thetaDot += Tau * thetaAcc;
            _state[i] = [x, xDot, theta, thetaDot];
            _steps[i]++;

            bool terminated = x < -XThreshold || x > XThreshold || theta < -s_thetaThreshold || theta > s_thetaThreshold;
            bool truncated = _steps[i] >= _maxSteps;
            expected.Rewards[i] = 1f;
            expected.Terminated[i] = terminated;
            expected.Truncated[i] = truncated;
            expected.Finished[i] = terminated || truncated;
            Terminations += terminated ? 1 : 0;
            Truncations += truncated ? 1 : 0;
            if (terminated || truncated)
            {
                Write(expected.FinalObservation(i), _state[i]);
                _episodes[i]++;
                Start(i);
            }

            Write(expected.Observation(i), _state[i]);
        }

        return expected;
    }

    private void Start(int env)
    {
        PhiloxBlock start = ReferenceRandom.Block(_seed, env, _episodes[env], 0);
        _state[env] =
        [
            ReferenceRandom.Uniform(start.X0, -0.05f, 0.05f),
            ReferenceRandom.Uniform(start.X1, -0.05f, 0.05f),
            ReferenceRandom.Uniform(start.X2, -0.05f, 0.05f),
            ReferenceRandom.Uniform(start.X3, -0.05f, 0.05f),
        ];
        PhiloxBlock physics = ReferenceRandom.Block(_seed, env, _episodes[env], 1);
        _massCart[env] = ReferenceRandom.Uniform(physics.X0, _ranges[0].Low, _ranges[0].High);
        _massPole[env] = ReferenceRandom.Uniform(physics.X1, _ranges[1].Low, _ranges[1].High);
        _length[env] = ReferenceRandom.Uniform(physics.X2, _ranges[2].Low, _ranges[2].High);
        _force[env] = ReferenceRandom.Uniform(physics.X3, _ranges[3].Low, _ranges[3].High);
        _steps[env] = 0;
    }

    private static void Write(Span<float> row, double[] state)
    {
        for (int k = 0; k < 4; k++)
        {
            row[k] = (float)state[k];
        }
    }
}
