using System;
using ILGPU;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// CartPole on the device, one thread per environment: the twins of <see cref="CartPoleResetKernel"/>
/// and <see cref="CartPoleStepKernel"/> (Gymnasium CartPole-v1's explicit Euler step in float32,
/// same-step autoreset). Episode starts come from <see cref="EnvironmentRandom"/>'s Philox layout
/// (key seed, stream env, counter episode ≪ 32 | draw), so reset states and physics are the
/// CPU's; the step uses <see cref="MathF.Sin"/> / <see cref="MathF.Cos"/> where the CPU uses a
/// vector polynomial (absolute error below 2e-7), so stepped states agree within that.
/// </summary>
internal static class DeviceCartPoleKernels
{
    /// <summary>Starts episode 0 of environment <paramref name="env"/> under <paramref name="seed"/> and writes its observation; clears its reward and flags.</summary>
    public static void Reset(Index1D env, DeviceCartPoleViews s, ulong seed)
    {
        StartEpisode(s, env, seed, 0);
        WriteObservation(s, env, s.Observations);
        s.Rewards[env] = 0f;
        s.Terminated[env] = 0f;
        s.Truncated[env] = 0f;
    }

    /// <summary>One step of environment <paramref name="env"/> with action 0 (left) or 1 (right), autoresetting a finished episode.</summary>
    public static void Step(Index1D env, DeviceCartPoleViews s, ArrayView<int> actions, int maxSteps, ulong seed)
    {
        float x = s.X[env];
        float xDot = s.XDot[env];
        float theta = s.Theta[env];
        float thetaDot = s.ThetaDot[env];
        float massPole = s.MassPole[env];
        float totalMass = s.TotalMass[env];
        float halfLength = s.HalfPoleLength[env];
        float poleMassLength = s.PoleMassLength[env];
        int steps = s.Steps[env] + 1;

        // Gymnasium: force = sign(action − 0.5)·force_mag, then the same expressions in the same order.
        float force = actions[env] == 1 ? s.ForceMagnitude[env] : -s.ForceMagnitude[env];
        float sinTheta = MathF.Sin(theta);
        float cosTheta = MathF.Cos(theta);
        float temp = (force + (poleMassLength * (thetaDot * thetaDot) * sinTheta)) / totalMass;
        float thetaAcc = ((CartPoleConstants.Gravity * sinTheta) - (cosTheta * temp))
            / (halfLength * ((4f / 3f) - (massPole * (cosTheta * cosTheta) / totalMass)));
        float xAcc = temp - (poleMassLength * thetaAcc * cosTheta / totalMass);
        x += CartPoleConstants.Tau * xDot;
        xDot += CartPoleConstants.Tau * xAcc;
        theta += CartPoleConstants.Tau * thetaDot;
        thetaDot += CartPoleConstants.Tau * thetaAcc;

        bool terminated = Math.Abs(x) > CartPoleConstants.XThreshold || Math.Abs(theta) > CartPoleConstants.ThetaThresholdRadians;
        bool truncated = steps >= maxSteps;
        s.Terminated[env] = terminated ? 1f : 0f;
        s.Truncated[env] = truncated ? 1f : 0f;
        s.Rewards[env] = CartPoleConstants.StepReward;
        s.X[env] = x;
        s.XDot[env] = xDot;
        s.Theta[env] = theta;
        s.ThetaDot[env] = thetaDot;
        s.Steps[env] = steps;
        if (terminated || truncated)
        {
            WriteObservation(s, env, s.FinalObservations);
            StartEpisode(s, env, seed, s.Episodes[env] + 1);
        }

        WriteObservation(s, env, s.Observations);
    }

    /// <summary><see cref="CartPoleRules.StartEpisode"/>: state from block 0, physics from block 1 of the episode's stream.</summary>
    private static void StartEpisode(DeviceCartPoleViews s, int env, ulong seed, uint episode)
    {
        const float low = -CartPoleConstants.ResetBound;
        const float high = CartPoleConstants.ResetBound;
        PhiloxBlock start = DevicePhilox.Generate(seed, (uint)env, ((ulong)episode << 32) | 0u);
        s.X[env] = Uniform(start.X0, low, high);
        s.XDot[env] = Uniform(start.X1, low, high);
        s.Theta[env] = Uniform(start.X2, low, high);
        s.ThetaDot[env] = Uniform(start.X3, low, high);

        PhiloxBlock physics = DevicePhilox.Generate(seed, (uint)env, ((ulong)episode << 32) | 1u);
        int r = env * 8;
        float massCart = Uniform(physics.X0, s.Ranges[r], s.Ranges[r + 1]);
        float massPole = Uniform(physics.X1, s.Ranges[r + 2], s.Ranges[r + 3]);
        float halfLength = Uniform(physics.X2, s.Ranges[r + 4], s.Ranges[r + 5]);
        s.MassPole[env] = massPole;
        s.TotalMass[env] = massPole + massCart;
        s.HalfPoleLength[env] = halfLength;
        s.PoleMassLength[env] = massPole * halfLength;
        s.ForceMagnitude[env] = Uniform(physics.X3, s.Ranges[r + 6], s.Ranges[r + 7]);
        s.Steps[env] = 0;
        s.Episodes[env] = episode;
    }

    /// <summary><see cref="EnvironmentRandom.Uniform"/>: low + (high − low)·u.</summary>
    private static float Uniform(uint bits, float low, float high) => low + ((high - low) * DevicePhilox.ToUniform(bits));

    private static void WriteObservation(DeviceCartPoleViews s, int env, ArrayView<float> rows)
    {
        int at = env * CartPoleRules.ObservationSize;
        rows[at] = s.X[env];
        rows[at + 1] = s.XDot[env];
        rows[at + 2] = s.Theta[env];
        rows[at + 3] = s.ThetaDot[env];
    }
}
