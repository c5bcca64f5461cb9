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

    /// <summary>
    /// Three tasks for transfer in sequence: <see cref="Two"/>'s CartPole-v1 and long heavy pole,
    /// then a cart four times as heavy (4 kg) with a short pole (half length 0.3 m) pushed by 15 N,
    /// which answers a push more sluggishly and tips faster.
    /// </summary>
    public static IReadOnlyList<CartPoleTask> Three { get; } =
    [
        Two[0],
        Two[1],
        CartPoleTask.CartPoleV1 with { MassCart = 4.0f, HalfPoleLength = 0.3f, ForceMagnitude = 15f },
    ];
}
