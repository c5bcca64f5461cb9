using System;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;

namespace Mtrl.Benchmarks.Replay;

/// <summary>
/// Fills a replay buffer with 40-bit BitFlip episodes of exactly 40 steps from 8 parallel envs —
/// random start state, random goal, a random bit flipped per step, truncated by the time limit —
/// for capacity + 20 steps, so the ring has wrapped, each env has one unfinished episode and one
/// episode whose first step is gone. The same data peers/her_peer.py feeds to SB3. Observations
/// and goals are stored as float32, one byte or one bit per element.
/// </summary>
internal static class BitFlipReplayData
{
    public const int Bits = 40;
    public const int EpisodeLength = 40;
    public const int Envs = 8;

    public static ReplayBufferOptions Options(int capacity, ColumnElementType storage = ColumnElementType.Float32) => new()
    {
        ObservationElementType = storage,
        GoalElementType = storage,
        Capacity = capacity,
        EnvCount = Envs,
        ObservationWidth = Bits,
        ActionWidth = 1,
        DiscreteActions = true,
        GoalWidth = Bits,
        Seed = 1,
    };

    public static ReplayBuffer Fill(int capacity, Accelerator accelerator, ColumnElementType storage = ColumnElementType.Float32)
    {
        var buffer = new ReplayBuffer(Options(capacity, storage), accelerator);
        var state = new float[Envs * Bits];
        var next = new float[Envs * Bits];
        var goal = new float[Envs * Bits];
        var actions = new int[Envs];
        var rewards = new float[Envs];
        var terminated = new bool[Envs];
        var truncated = new bool[Envs];
        ulong counter = 0;
        int step = 0;
        Randomize(state, ref counter);
        Randomize(goal, ref counter);
        for (int s = 0; s < (capacity / Envs) + 20; s++)
        {
            PhiloxFill.Index(actions, Bits, 7, 1, counter++, CpuAccelerator.Sequential);
            state.CopyTo(next, 0);
            step++;
            for (int e = 0; e < Envs; e++)
            {
                int bit = (e * Bits) + actions[e];
                next[bit] = 1f - next[bit];
                bool success = next.AsSpan(e * Bits, Bits).SequenceEqual(goal.AsSpan(e * Bits, Bits));
                rewards[e] = success ? 0f : -1f;
                terminated[e] = success;
                truncated[e] = !success && step == EpisodeLength;
            }

            buffer.Add(new ReplayStep
            {
                Observations = state,
                DiscreteActions = actions,
                Rewards = rewards,
                NextObservations = next,
                Terminated = terminated,
                Truncated = truncated,
                AchievedGoals = state,
                NextAchievedGoals = next,
                DesiredGoals = goal,
            });
            next.CopyTo(state, 0);
            if (step == EpisodeLength)
            {
                step = 0;
                Randomize(state, ref counter);
                Randomize(goal, ref counter);
            }
        }

        return buffer;
    }

    private static void Randomize(float[] bits, ref ulong counter)
    {
        PhiloxFill.Uniform(bits, 7, 2, counter, CpuAccelerator.Sequential);
        counter += PhiloxFill.CountersForFloats(bits.Length);
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = bits[i] < 0.5f ? 0f : 1f;
        }
    }
}
