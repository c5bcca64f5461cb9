using System;
using ILGPU;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// PointMass on the device, one thread per environment: the twins of <see cref="PointMassResetKernel"/>
/// and <see cref="PointMassStepKernel"/> (force with wind and friction, semi-implicit Euler,
/// walls, sparse or dense goal reward, same-step autoreset), the same float32 operations in the
/// same order and episode starts from <see cref="EnvironmentRandom"/>'s Philox layout.
/// </summary>
internal static class DevicePointMassKernels
{
    private const int TaskFloats = 10;

    /// <summary>Starts episode 0 of environment <paramref name="env"/> and writes its observation and goals; clears its reward and flags.</summary>
    public static void Reset(Index1D env, DevicePointMassViews s, ulong seed)
    {
        StartEpisode(s, env, seed, 0);
        Write(s, env, s.Observations, s.AchievedGoals, s.DesiredGoals);
        s.Rewards[env] = 0f;
        s.Terminated[env] = 0f;
        s.Truncated[env] = 0f;
    }

    /// <summary>One step of environment <paramref name="env"/> with its 2-D force (components clamped to [−1, 1]), autoresetting a finished episode.</summary>
    public static void Step(Index1D env, DevicePointMassViews s, ArrayView<float> actions, ulong seed)
    {
        int t = s.TaskIds[env] * TaskFloats;
        float mass = s.Tasks[t];
        float friction = s.Tasks[t + 1];
        float ax = Clamp(actions[2 * env]);
        float ay = Clamp(actions[(2 * env) + 1]);
        float vx = s.VelocityX[env];
        float vy = s.VelocityY[env];
        float fx = (s.MaxForce * ax) + s.Tasks[t + 2] - (friction * vx);
        float fy = (s.MaxForce * ay) + s.Tasks[t + 3] - (friction * vy);
        float dt = s.TimeStep;
        vx += dt * (fx / mass);
        vy += dt * (fy / mass);
        float px = s.PositionX[env] + (dt * vx);
        float py = s.PositionY[env] + (dt * vy);
        float wall = s.ArenaHalfSize;
        if (px > wall)
        {
            px = wall;
            vx = 0f;
        }
        else if (px < -wall)
        {
            px = -wall;
            vx = 0f;
        }

        if (py > wall)
        {
            py = wall;
            vy = 0f;
        }
        else if (py < -wall)
        {
            py = -wall;
            vy = 0f;
        }

        s.PositionX[env] = px;
        s.PositionY[env] = py;
        s.VelocityX[env] = vx;
        s.VelocityY[env] = vy;
        int steps = s.Steps[env] + 1;
        s.Steps[env] = steps;
        float dx = px - s.GoalX[env];
        float dy = py - s.GoalY[env];
        float distance = MathF.Sqrt((dx * dx) + (dy * dy));
        bool success = distance <= s.SuccessRadius;
        bool terminated = s.TerminateOnSuccess != 0 && success;
        bool truncated = steps >= s.MaxEpisodeSteps;
        s.Rewards[env] = s.SparseReward != 0 ? (success ? 0f : -1f) : -distance;
        s.Terminated[env] = terminated ? 1f : 0f;
        s.Truncated[env] = truncated ? 1f : 0f;
        if (terminated || truncated)
        {
            Write(s, env, s.FinalObservations, s.FinalAchievedGoals, s.FinalDesiredGoals);
            StartEpisode(s, env, seed, s.Episodes[env] + 1);
        }

        Write(s, env, s.Observations, s.AchievedGoals, s.DesiredGoals);
    }

    /// <summary><see cref="PointMassRules.StartEpisode"/>: start and goal from block 0 of the episode's stream, zero velocity.</summary>
    private static void StartEpisode(DevicePointMassViews s, int env, ulong seed, uint episode)
    {
        int t = s.TaskIds[env] * TaskFloats;
        float startX = s.Tasks[t + 4];
        float startY = s.Tasks[t + 5];
        float startHalf = s.Tasks[t + 6];
        float goalX = s.Tasks[t + 7];
        float goalY = s.Tasks[t + 8];
        float goalHalf = s.Tasks[t + 9];
        PhiloxBlock block = DevicePhilox.Generate(seed, (uint)env, (ulong)episode << 32);
        s.PositionX[env] = Uniform(block.X0, startX - startHalf, startX + startHalf);
        s.PositionY[env] = Uniform(block.X1, startY - startHalf, startY + startHalf);
        s.GoalX[env] = Uniform(block.X2, goalX - goalHalf, goalX + goalHalf);
        s.GoalY[env] = Uniform(block.X3, goalY - goalHalf, goalY + goalHalf);
        s.VelocityX[env] = 0f;
        s.VelocityY[env] = 0f;
        s.Steps[env] = 0;
        s.Episodes[env] = episode;
    }

    /// <summary><see cref="PointMassRules.Write"/>: (x, y, vx, vy[, gx, gy]), achieved goal (x, y), desired goal (gx, gy).</summary>
    private static void Write(DevicePointMassViews s, int env, ArrayView<float> observations, ArrayView<float> achieved, ArrayView<float> desired)
    {
        int width = s.GoalInObservation != 0 ? PointMassRules.ObservationWithGoalSize : PointMassRules.ObservationSize;
        int at = env * width;
        observations[at] = s.PositionX[env];
        observations[at + 1] = s.PositionY[env];
        observations[at + 2] = s.VelocityX[env];
        observations[at + 3] = s.VelocityY[env];
        if (s.GoalInObservation != 0)
        {
            observations[at + 4] = s.GoalX[env];
            observations[at + 5] = s.GoalY[env];
        }

        achieved[env * PointMassRules.GoalSize] = s.PositionX[env];
        achieved[(env * PointMassRules.GoalSize) + 1] = s.PositionY[env];
        desired[env * PointMassRules.GoalSize] = s.GoalX[env];
        desired[(env * PointMassRules.GoalSize) + 1] = s.GoalY[env];
    }

    /// <summary><see cref="Math.Clamp(float, float, float)"/> to [−1, 1] (NaN stays NaN).</summary>
    private static float Clamp(float value) => value < -1f ? -1f : value > 1f ? 1f : value;

    /// <summary><see cref="EnvironmentRandom.Uniform"/>.</summary>
    private static float Uniform(uint bits, float low, float high) => low + ((high - low) * DevicePhilox.ToUniform(bits));
}
