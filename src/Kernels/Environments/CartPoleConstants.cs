namespace Mtrl.Kernels.Environments;

/// <summary>
/// The constants of Gymnasium's CartPole-v1 (gymnasium/envs/classic_control/cartpole.py, after
/// Barto, Sutton and Anderson 1983), in one place so the kernel, the defaults of the
/// randomization ranges and the tests cannot drift apart.
/// </summary>
public static class CartPoleConstants
{
    /// <summary>Gravitational acceleration (m/s²).</summary>
    public const float Gravity = 9.8f;

    /// <summary>Mass of the cart (kg).</summary>
    public const float MassCart = 1.0f;

    /// <summary>Mass of the pole (kg).</summary>
    public const float MassPole = 0.1f;

    /// <summary>Half the pole's length (m); Gymnasium calls it <c>length</c>.</summary>
    public const float HalfPoleLength = 0.5f;

    /// <summary>Magnitude of the push each action applies (N).</summary>
    public const float ForceMagnitude = 10.0f;

    /// <summary>Seconds between state updates (explicit Euler step).</summary>
    public const float Tau = 0.02f;

    /// <summary>Pole angle beyond which an episode terminates: 12° in radians.</summary>
    public const float ThetaThresholdRadians = (float)(12 * 2 * System.Math.PI / 360);

    /// <summary>Cart position beyond which an episode terminates (m).</summary>
    public const float XThreshold = 2.4f;

    /// <summary>CartPole-v1's time limit: episodes are truncated after this many steps.</summary>
    public const int MaxEpisodeSteps = 500;

    /// <summary>Every state variable starts uniform in [−ResetBound, ResetBound).</summary>
    public const float ResetBound = 0.05f;

    /// <summary>Reward of every step, including the terminating one.</summary>
    public const float StepReward = 1f;
}
