using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// One step of N CartPole environments, eight at a time in 256-bit vectors: Gymnasium
/// CartPole-v1's equations (explicit Euler, τ = 0.02, terminate beyond ±12° or ±2.4 m, reward 1
/// per step, truncate at the time limit) with each environment's own physics, in float32.
/// Finished environments are autoreset in the same step (Gymnasium's same-step mode) without
/// leaving the vector path: their last observation goes to the final-observation buffer and the
/// next episode's start state (and physics) is drawn lane-wise and blended in.
/// </summary>
/// <remarks>
/// A launch index is a group of <see cref="Lanes"/> consecutive environments, and every
/// environment — including those of a last, partial group, which runs on a padded copy — goes
/// through the same vector arithmetic, so results are bit-identical for any thread count or
/// chunking and an environment behaves the same in a vector of any size. Sine and cosine are
/// vectorized Cephes polynomials (absolute error below 2e-7), which may differ from
/// <see cref="MathF.Sin"/> in the last bit.
/// </remarks>
public readonly ref struct CartPoleStepKernel : IRangeKernel
{
    /// <summary>Environments per launch index (floats per 256-bit vector).</summary>
    public const int Lanes = 8;

    private const int Width = CartPoleRules.ObservationSize;

    private readonly CartPoleState _state;
    private readonly ReadOnlySpan<int> _actions;
    private readonly StepOutputs _outputs;
    private readonly CartPolePhysicsRanges _ranges;
    private readonly int _count;
    private readonly int _maxSteps;
    private readonly bool _randomized;
    private readonly ulong _seed;
    private readonly int _envBase;

    /// <summary>Captures the spans and settings of one step.</summary>
    /// <param name="state">State of the N environments (every span at least N long).</param>
    /// <param name="actions">N actions, each 0 (push left) or 1 (push right), validated by the caller; N is its length.</param>
    /// <param name="outputs">Step outputs; observations are N × 4.</param>
    /// <param name="ranges">Physics ranges for episodes started by autoreset. When every range is fixed nothing is redrawn and each environment keeps the physics its reset gave it (a multi-task reset's per-task physics).</param>
    /// <param name="maxSteps">Episode length at which an episode is truncated (500 in CartPole-v1).</param>
    /// <param name="seed">Seed of the last full reset.</param>
    /// <exception cref="ArgumentException">A state or output span is shorter than N requires.</exception>
    public CartPoleStepKernel(CartPoleState state, ReadOnlySpan<int> actions, StepOutputs outputs, CartPolePhysicsRanges ranges, int maxSteps, ulong seed)
        : this(state, actions, outputs, ranges, maxSteps, seed, envBase: 0, count: actions.Length)
    {
        int n = actions.Length;
        if (state.X.Length < n || state.XDot.Length < n || state.Theta.Length < n || state.ThetaDot.Length < n
            || state.Steps.Length < n || state.Episodes.Length < n || state.ForceMagnitude.Length < n || state.MassPole.Length < n
            || state.TotalMass.Length < n || state.HalfPoleLength.Length < n || state.PoleMassLength.Length < n)
        {
            throw new ArgumentException($"every state span must hold at least {n} environments", nameof(state));
        }

        if (outputs.Observations.Length < n * Width || outputs.FinalObservations.Length < n * Width || outputs.Rewards.Length < n
            || outputs.Terminated.Length < n || outputs.Truncated.Length < n || outputs.Finished.Length < n)
        {
            throw new ArgumentException($"output spans must hold {n} environments ({n * Width} observation floats)", nameof(outputs));
        }
    }

    private CartPoleStepKernel(
        CartPoleState state, ReadOnlySpan<int> actions, StepOutputs outputs, CartPolePhysicsRanges ranges, int maxSteps, ulong seed, int envBase, int count)
    {
        _state = state;
        _actions = actions;
        _outputs = outputs;
        _ranges = ranges;
        _count = count;
        _maxSteps = maxSteps;
        _randomized = !(ranges.MassCart.IsFixed && ranges.MassPole.IsFixed && ranges.HalfPoleLength.IsFixed && ranges.ForceMagnitude.IsFixed);
        _seed = seed;
        _envBase = envBase;
    }

    /// <summary>Launch length for <paramref name="environments"/> environments: one index per group of <see cref="Lanes"/>.</summary>
    /// <param name="environments">N.</param>
    public static int GroupCount(int environments) => (environments + Lanes - 1) / Lanes;

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        int fullGroups = _count / Lanes;
        for (int g = start; g < Math.Min(end, fullGroups); g++)
        {
            StepGroup(g * Lanes);
        }

        if (end > fullGroups && fullGroups * Lanes < _count)
        {
            StepPartialGroup(fullGroups * Lanes);
        }
    }

    /// <summary>Steps the eight environments starting at <paramref name="first"/> (all within the spans, checked at construction).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // its own method keeps the JIT's inlining budget for the vector helpers
    private void StepGroup(int first)
    {
        CartPoleState s = _state;
        nuint at = (nuint)first;
        Vector256<float> x = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.X), at);
        Vector256<float> xDot = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.XDot), at);
        Vector256<float> theta = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.Theta), at);
        Vector256<float> thetaDot = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.ThetaDot), at);
        Vector256<float> forceMagnitude = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.ForceMagnitude), at);
        Vector256<float> massPole = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.MassPole), at);
        Vector256<float> totalMass = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.TotalMass), at);
        Vector256<float> halfLength = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.HalfPoleLength), at);
        Vector256<float> poleMassLength = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.PoleMassLength), at);
        Vector256<int> pushRight = Vector256.Equals(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(_actions), at), Vector256<int>.One);
        Vector256<int> steps = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.Steps), at) + Vector256<int>.One;

        // Gymnasium: force = sign(action − 0.5)·force_mag, then the same expressions in the same order.
        Vector256<float> force = Vector256.ConditionalSelect(pushRight.AsSingle(), forceMagnitude, -forceMagnitude);
        VectorSinCos.Compute(theta, out Vector256<float> sinTheta, out Vector256<float> cosTheta);
        Vector256<float> temp = (force + poleMassLength * (thetaDot * thetaDot) * sinTheta) / totalMass;
        Vector256<float> thetaAcc = (Vector256.Create(CartPoleConstants.Gravity) * sinTheta - cosTheta * temp)
            / (halfLength * (Vector256.Create(4f / 3f) - massPole * (cosTheta * cosTheta) / totalMass));
        Vector256<float> xAcc = temp - poleMassLength * thetaAcc * cosTheta / totalMass;

        Vector256<float> tau = Vector256.Create(CartPoleConstants.Tau);
        x += tau * xDot;
        xDot += tau * xAcc;
        theta += tau * thetaDot;
        thetaDot += tau * thetaAcc;

        Vector256<float> xLimit = Vector256.Create(CartPoleConstants.XThreshold);
        Vector256<float> thetaLimit = Vector256.Create(CartPoleConstants.ThetaThresholdRadians);
        Vector256<int> terminated = (Vector256.GreaterThan(Vector256.Abs(x), xLimit) | Vector256.GreaterThan(Vector256.Abs(theta), thetaLimit)).AsInt32();
        Vector256<int> truncated = Vector256.GreaterThanOrEqual(steps, Vector256.Create(_maxSteps));
        Vector256<int> finished = terminated | truncated;

        StoreFlags(terminated, _outputs.Terminated, first);
        StoreFlags(truncated, _outputs.Truncated, first);
        StoreFlags(finished, _outputs.Finished, first);
        Vector256.Create(CartPoleConstants.StepReward).StoreUnsafe(ref MemoryMarshal.GetReference(_outputs.Rewards), at);
        uint finishedBits = finished.ExtractMostSignificantBits();
        if (finishedBits != 0)
        {
            // Same-step autoreset, still eight lanes at a time: keep the final observations, then
            // blend the next episodes' first states (and physics) into the finished lanes.
            StoreFinalObservations(x, xDot, theta, thetaDot, finishedBits, first);
            Vector256<uint> episodes = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s.Episodes), at) - finished.AsUInt32(); // all-ones lanes: +1
            Vector256<int> envs = Vector256.Create(_envBase + first) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            EnvironmentRandomLanes.Block(_seed, envs, episodes, 0, out Vector256<uint> w0, out Vector256<uint> w1, out Vector256<uint> w2, out Vector256<uint> w3);
            Vector256<float> low = Vector256.Create(-CartPoleConstants.ResetBound);
            Vector256<float> high = Vector256.Create(CartPoleConstants.ResetBound);
            Vector256<float> mask = finished.AsSingle();
            x = Vector256.ConditionalSelect(mask, EnvironmentRandomLanes.Uniform(w0, low, high), x);
            xDot = Vector256.ConditionalSelect(mask, EnvironmentRandomLanes.Uniform(w1, low, high), xDot);
            theta = Vector256.ConditionalSelect(mask, EnvironmentRandomLanes.Uniform(w2, low, high), theta);
            thetaDot = Vector256.ConditionalSelect(mask, EnvironmentRandomLanes.Uniform(w3, low, high), thetaDot);
            steps = Vector256.AndNot(steps, finished);
            episodes.StoreUnsafe(ref MemoryMarshal.GetReference(s.Episodes), at);
            if (_randomized)
            {
                RedrawPhysics(envs, episodes, mask, first);
            }
        }

        x.StoreUnsafe(ref MemoryMarshal.GetReference(s.X), at);
        xDot.StoreUnsafe(ref MemoryMarshal.GetReference(s.XDot), at);
        theta.StoreUnsafe(ref MemoryMarshal.GetReference(s.Theta), at);
        thetaDot.StoreUnsafe(ref MemoryMarshal.GetReference(s.ThetaDot), at);
        steps.StoreUnsafe(ref MemoryMarshal.GetReference(s.Steps), at);
        PhiloxGroup.StoreInterleaved(x, xDot, theta, thetaDot, ref Unsafe.Add(ref MemoryMarshal.GetReference(_outputs.Observations), first * Width));
    }

    /// <summary>
    /// Steps the last, partial group on a padded eight-lane copy through <see cref="StepGroup"/>
    /// itself (same arithmetic), then copies the real lanes back. Padding lanes start from zero
    /// state with unit masses; whatever they compute is discarded.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private void StepPartialGroup(int first)
    {
        int lanes = _count - first;
        Span<float> floats = stackalloc float[9 * Lanes];
        floats.Clear();
        floats.Slice(4 * Lanes, 5 * Lanes).Fill(1f);
        Span<int> ints = stackalloc int[2 * Lanes];
        ints.Clear();
        Span<uint> episodes = stackalloc uint[Lanes];
        episodes.Clear();
        Span<float> rows = stackalloc float[3 * Lanes * Width];
        Span<bool> flags = stackalloc bool[3 * Lanes];

        var padded = new CartPoleState(
            floats.Slice(0, Lanes), floats.Slice(Lanes, Lanes), floats.Slice(2 * Lanes, Lanes), floats.Slice(3 * Lanes, Lanes),
            ints.Slice(0, Lanes), episodes,
            floats.Slice(4 * Lanes, Lanes), floats.Slice(5 * Lanes, Lanes), floats.Slice(6 * Lanes, Lanes), floats.Slice(7 * Lanes, Lanes), floats.Slice(8 * Lanes, Lanes));
        Span<int> actions = ints.Slice(Lanes, Lanes);
        var outputs = new StepOutputs(
            rows.Slice(0, Lanes * Width), rows.Slice(2 * Lanes * Width, Lanes), flags.Slice(0, Lanes), flags.Slice(Lanes, Lanes),
            flags.Slice(2 * Lanes, Lanes), rows.Slice(Lanes * Width, Lanes * Width));
        CopyLanes(_state, padded, first, 0, lanes);
        _actions.Slice(first, lanes).CopyTo(actions);

        new CartPoleStepKernel(padded, actions, outputs, _ranges, _maxSteps, _seed, _envBase + first, Lanes).StepGroup(0);

        CopyLanes(padded, _state, 0, first, lanes);
        outputs.Observations[..(lanes * Width)].CopyTo(_outputs.Observations.Slice(first * Width, lanes * Width));
        outputs.Rewards[..lanes].CopyTo(_outputs.Rewards.Slice(first, lanes));
        outputs.Terminated[..lanes].CopyTo(_outputs.Terminated.Slice(first, lanes));
        outputs.Truncated[..lanes].CopyTo(_outputs.Truncated.Slice(first, lanes));
        outputs.Finished[..lanes].CopyTo(_outputs.Finished.Slice(first, lanes));
        for (int lane = 0; lane < lanes; lane++)
        {
            if (outputs.Finished[lane])
            {
                outputs.FinalObservations.Slice(lane * Width, Width).CopyTo(_outputs.FinalObservations.Slice((first + lane) * Width, Width));
            }
        }
    }

    private static void CopyLanes(CartPoleState from, CartPoleState to, int fromIndex, int toIndex, int count)
    {
        from.X.Slice(fromIndex, count).CopyTo(to.X.Slice(toIndex, count));
        from.XDot.Slice(fromIndex, count).CopyTo(to.XDot.Slice(toIndex, count));
        from.Theta.Slice(fromIndex, count).CopyTo(to.Theta.Slice(toIndex, count));
        from.ThetaDot.Slice(fromIndex, count).CopyTo(to.ThetaDot.Slice(toIndex, count));
        from.Steps.Slice(fromIndex, count).CopyTo(to.Steps.Slice(toIndex, count));
        from.Episodes.Slice(fromIndex, count).CopyTo(to.Episodes.Slice(toIndex, count));
        from.ForceMagnitude.Slice(fromIndex, count).CopyTo(to.ForceMagnitude.Slice(toIndex, count));
        from.MassPole.Slice(fromIndex, count).CopyTo(to.MassPole.Slice(toIndex, count));
        from.TotalMass.Slice(fromIndex, count).CopyTo(to.TotalMass.Slice(toIndex, count));
        from.HalfPoleLength.Slice(fromIndex, count).CopyTo(to.HalfPoleLength.Slice(toIndex, count));
        from.PoleMassLength.Slice(fromIndex, count).CopyTo(to.PoleMassLength.Slice(toIndex, count));
    }

    /// <summary>Draws block 1 of the new episodes and stores the physics of the finished lanes (the others keep theirs).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RedrawPhysics(Vector256<int> envs, Vector256<uint> episodes, Vector256<float> mask, int first)
    {
        CartPoleState s = _state;
        nuint at = (nuint)first;
        EnvironmentRandomLanes.Block(_seed, envs, episodes, 1, out Vector256<uint> w0, out Vector256<uint> w1, out Vector256<uint> w2, out Vector256<uint> w3);
        Vector256<float> massCart = Sample(w0, _ranges.MassCart);
        Vector256<float> massPole = Sample(w1, _ranges.MassPole);
        Vector256<float> halfLength = Sample(w2, _ranges.HalfPoleLength);
        Vector256<float> forceMagnitude = Sample(w3, _ranges.ForceMagnitude);
        Blend(mask, massPole, s.MassPole, at);
        Blend(mask, massPole + massCart, s.TotalMass, at);
        Blend(mask, halfLength, s.HalfPoleLength, at);
        Blend(mask, massPole * halfLength, s.PoleMassLength, at);
        Blend(mask, forceMagnitude, s.ForceMagnitude, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blend(Vector256<float> mask, Vector256<float> value, Span<float> destination, nuint at)
    {
        ref float origin = ref MemoryMarshal.GetReference(destination);
        Vector256.ConditionalSelect(mask, value, Vector256.LoadUnsafe(ref origin, at)).StoreUnsafe(ref origin, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sample(Vector256<uint> bits, UniformRange range)
        => EnvironmentRandomLanes.Uniform(bits, Vector256.Create(range.Low), Vector256.Create(range.High));

    /// <summary>Copies the observation rows of the finished lanes into the final-observation buffer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private void StoreFinalObservations(
        Vector256<float> x, Vector256<float> xDot, Vector256<float> theta, Vector256<float> thetaDot, uint finishedBits, int first)
    {
        Span<float> rows = stackalloc float[Lanes * Width];
        PhiloxGroup.StoreInterleaved(x, xDot, theta, thetaDot, ref MemoryMarshal.GetReference(rows));
        while (finishedBits != 0)
        {
            int lane = BitOperations.TrailingZeroCount(finishedBits);
            finishedBits &= finishedBits - 1;
            rows.Slice(lane * Width, Width).CopyTo(_outputs.FinalObservations.Slice((first + lane) * Width, Width));
        }
    }

    /// <summary>Writes eight lane masks (all ones = true) as eight bools with one 8-byte store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFlags(Vector256<int> mask, Span<bool> destination, int first)
    {
        Vector256<int> ones = mask & Vector256<int>.One;
        Vector128<short> words = Vector128.Narrow(ones.GetLower(), ones.GetUpper());
        ulong bytes = Vector128.Narrow(words, words).AsUInt64().ToScalar();
        Unsafe.WriteUnaligned(ref Unsafe.As<bool, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), first)), bytes);
    }
}
