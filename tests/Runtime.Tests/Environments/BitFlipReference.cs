using Mtrl.Kernels;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// BitFlip(n) written the plain way — one bool per bit, one environment at a time — from the
/// documented rules, to check the packed, chunked kernel against.
/// </summary>
internal sealed class BitFlipReference
{
    private readonly int _bits;
    private readonly int _maxSteps;
    private readonly bool[][] _state;
    private readonly bool[][] _goal;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private ulong _seed;

    public BitFlipReference(int environments, int bits, int maxSteps)
    {
        _bits = bits;
        _maxSteps = maxSteps;
        _state = new bool[environments][];
        _goal = new bool[environments][];
        _steps = new int[environments];
        _episodes = new uint[environments];
    }

    public int Successes { get; private set; }

    public int Truncations { get; private set; }

    public ExpectedStep Reset(ulong seed)
    {
        _seed = seed;
        var expected = new ExpectedStep(_state.Length, _bits, _bits);
        for (int i = 0; i < _state.Length; i++)
        {
            _episodes[i] = 0;
            Start(i);
            Write(expected, i);
        }

        return expected;
    }

    public ExpectedStep Step(int[] actions)
    {
        var expected = new ExpectedStep(_state.Length, _bits, _bits);
        for (int i = 0; i < _state.Length; i++)
        {
            _state[i][actions[i]] = !_state[i][actions[i]];
            _steps[i]++;
            bool success = true;
            for (int b = 0; b < _bits; b++)
            {
                success &= _state[i][b] == _goal[i][b];
            }

            expected.Rewards[i] = success ? 0f : -1f;
            expected.Terminated[i] = success;
            expected.Truncated[i] = _steps[i] >= _maxSteps;
            expected.Finished[i] = success || _steps[i] >= _maxSteps;
            Successes += success ? 1 : 0;
            Truncations += expected.Truncated[i] ? 1 : 0;
            if (expected.Finished[i])
            {
                for (int b = 0; b < _bits; b++)
                {
                    expected.FinalObservation(i)[b] = _state[i][b] ? 1f : 0f;
                    expected.FinalAchieved(i)[b] = _state[i][b] ? 1f : 0f;
                    expected.FinalDesired(i)[b] = _goal[i][b] ? 1f : 0f;
                }

                _episodes[i]++;
                Start(i);
            }

            Write(expected, i);
        }

        return expected;
    }

    private void Start(int env)
    {
        PhiloxBlock block = ReferenceRandom.Block(_seed, env, _episodes[env], 0);
        _state[env] = new bool[_bits];
        _goal[env] = new bool[_bits];
        for (int b = 0; b < _bits; b++)
        {
            // Bits 0..31 come from word 0 (state) / word 2 (goal), bits 32..63 from words 1 / 3.
            _state[env][b] = (((b < 32 ? block.X0 : block.X1) >> (b % 32)) & 1) == 1;
            _goal[env][b] = (((b < 32 ? block.X2 : block.X3) >> (b % 32)) & 1) == 1;
        }

        _steps[env] = 0;
    }

    private void Write(ExpectedStep expected, int env)
    {
        for (int b = 0; b < _bits; b++)
        {
            expected.Observation(env)[b] = _state[env][b] ? 1f : 0f;
            expected.Achieved(env)[b] = _state[env][b] ? 1f : 0f;
            expected.Desired(env)[b] = _goal[env][b] ? 1f : 0f;
        }
    }
}
