using System.Collections.Generic;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>Fixed multi-task CartPole suites: tasks differ in their (fixed) physics only.</summary>
public static class CartPoleTaskSuite
{
    /// <summary>
    /// Two tasks: task 0 is CartPole-v1; task 1 has a pole twice as long (half length 1.0 m) and
    /// five times as heavy (0.5 kg), which falls more slowly but pushes the cart around more.
    /// </summary>
    public static IReadOnlyList<CartPoleTask> Two { get; } =
    [
        CartPoleTask.CartPoleV1,
        CartPoleTask.CartPoleV1 with { MassPole = 0.5f, HalfPoleLength = 1.0f },
    ];
}
