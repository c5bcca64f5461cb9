using System;
using System.Reflection;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// Calls <see cref="IBitGoalReward.ComputePacked"/> on a reward the sampler knows only as an
/// <see cref="IGoalReward"/> type argument. Casting a struct reward to the interface would box it on
/// every call (the JIT does not remove that box), and sampling must allocate nothing; so the call is
/// bound once per reward type to a method constrained to <see cref="IBitGoalReward"/>.
/// </summary>
/// <typeparam name="TReward">The reward type of the sampling call.</typeparam>
internal static class PackedGoalRewardCall<TReward>
    where TReward : IGoalReward
{
    /// <summary>The call, or null when <typeparamref name="TReward"/> does not implement <see cref="IBitGoalReward"/>.</summary>
    public static readonly Compute? Invoke = Bind();

    /// <summary>The shape of <see cref="IBitGoalReward.ComputePacked"/> with the reward passed by reference.</summary>
    public delegate void Compute(
        ref TReward reward, ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated);

    private static Compute? Bind() => typeof(IBitGoalReward).IsAssignableFrom(typeof(TReward))
        ? typeof(PackedGoalRewardCall<TReward>).GetMethod(nameof(Call), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(TReward)).CreateDelegate<Compute>()
        : null;

    private static void Call<T>(ref T reward, ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
        where T : IBitGoalReward
        => reward.ComputePacked(achievedGoals, desiredGoals, goalWidth, rewards, terminated);
}
