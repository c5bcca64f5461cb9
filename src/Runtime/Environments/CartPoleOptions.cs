using System;
using System.Collections.Generic;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// Settings of <see cref="CartPoleVectorEnvironment"/>: the domain-randomization ranges of the
/// physical parameters (drawn per environment at the start of every episode) or a table of
/// tasks with fixed physics each, and the time limit. The defaults fix every parameter at
/// CartPole-v1's value, so <c>new CartPoleOptions()</c> is exactly CartPole-v1.
/// </summary>
public sealed record CartPoleOptions
{
    /// <summary>
    /// Tasks with fixed physics each (e.g. <see cref="CartPoleTaskSuite.Two"/>); environment i
    /// runs the task given by its task id. Null (default): one task, with the ranges below. Not
    /// combinable with randomized ranges.
    /// </summary>
    public IReadOnlyList<CartPoleTask>? Tasks { get; init; }

    /// <summary>Cart mass range (kg); CartPole-v1: 1.0.</summary>
    public UniformRange MassCart { get; init; } = UniformRange.Fixed(CartPoleConstants.MassCart);

    /// <summary>Pole mass range (kg); CartPole-v1: 0.1.</summary>
    public UniformRange MassPole { get; init; } = UniformRange.Fixed(CartPoleConstants.MassPole);

    /// <summary>Half pole length range (m); CartPole-v1: 0.5.</summary>
    public UniformRange HalfPoleLength { get; init; } = UniformRange.Fixed(CartPoleConstants.HalfPoleLength);

    /// <summary>Push magnitude range (N); CartPole-v1: 10.</summary>
    public UniformRange ForceMagnitude { get; init; } = UniformRange.Fixed(CartPoleConstants.ForceMagnitude);

    /// <summary>Steps after which an episode is truncated; CartPole-v1: 500.</summary>
    public int MaxEpisodeSteps { get; init; } = CartPoleConstants.MaxEpisodeSteps;

    /// <summary>True when no parameter is randomized (the environment is CartPole-v1 up to its time limit).</summary>
    public bool IsRandomized => !(MassCart.IsFixed && MassPole.IsFixed && HalfPoleLength.IsFixed && ForceMagnitude.IsFixed);

    /// <summary>Throws if a range is not positive and ordered or the time limit is below 1, naming the setting and its allowed range.</summary>
    public void Validate()
    {
        MassCart.ValidatePositive(nameof(MassCart));
        MassPole.ValidatePositive(nameof(MassPole));
        HalfPoleLength.ValidatePositive(nameof(HalfPoleLength));
        ForceMagnitude.ValidatePositive(nameof(ForceMagnitude));
        if (MaxEpisodeSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpisodeSteps), MaxEpisodeSteps, "must be at least 1");
        }

        if (Tasks is null)
        {
            return;
        }

        if (Tasks.Count == 0)
        {
            throw new ArgumentException("must hold at least one task, or be null for one task with the ranges", nameof(Tasks));
        }

        if (IsRandomized)
        {
            throw new ArgumentException("tasks have fixed physics each and cannot be combined with randomized ranges", nameof(Tasks));
        }

        for (int t = 0; t < Tasks.Count; t++)
        {
            CartPolePhysicsRanges task = Tasks[t].Ranges;
            task.MassCart.ValidatePositive($"{nameof(Tasks)}[{t}].{nameof(CartPoleTask.MassCart)}");
            task.MassPole.ValidatePositive($"{nameof(Tasks)}[{t}].{nameof(CartPoleTask.MassPole)}");
            task.HalfPoleLength.ValidatePositive($"{nameof(Tasks)}[{t}].{nameof(CartPoleTask.HalfPoleLength)}");
            task.ForceMagnitude.ValidatePositive($"{nameof(Tasks)}[{t}].{nameof(CartPoleTask.ForceMagnitude)}");
        }
    }

    /// <summary>Number of tasks: the table's length, or 1 without a table.</summary>
    public int TaskCount => Tasks?.Count ?? 1;

    /// <summary>The ranges in the form the kernels take (task 0's fixed physics when there is a task table).</summary>
    internal CartPolePhysicsRanges PhysicsRanges() => Tasks is { Count: > 0 } tasks ? tasks[0].Ranges : new(MassCart, MassPole, HalfPoleLength, ForceMagnitude);
}
