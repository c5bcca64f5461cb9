namespace Mtrl.Runtime.Environments;

/// <summary>
/// N copies of an environment stepped together in bulk, writing struct-of-arrays batches into
/// preallocated <see cref="Buffers"/>. Implement <see cref="IDiscreteVectorEnvironment"/> or
/// <see cref="IContinuousVectorEnvironment"/> (and <see cref="IGoalVectorEnvironment"/> for goal
/// environments) to add your own; trainers depend only on these interfaces.
/// </summary>
/// <remarks>
/// <para><b>Autoreset</b> is Gymnasium's same-step mode (<c>AutoresetMode.SAME_STEP</c>): an
/// environment whose episode terminates or truncates is reset inside the same Step call; the
/// returned observation is the reset one and the last observation of the finished episode is in
/// <see cref="VectorStepBuffers.FinalObservations"/> (see <see cref="VectorStepBuffers"/>).</para>
/// <para><b>Randomness</b> comes only from the counter-based generator: environment i's episode
/// k uses Philox blocks (seed, stream i, counter k·2^32 + draw) — see
/// <c>Mtrl.Kernels.Environments.EnvironmentRandom</c> — so results depend only on the seed,
/// never on thread count, chunking or N (environment i behaves the same in a vector of any
/// size).</para>
/// <para>Step allocates nothing after construction.</para>
/// </remarks>
public interface IVectorEnvironment
{
    /// <summary>N, the number of environments stepped together.</summary>
    int EnvironmentCount { get; }

    /// <summary>Floats per observation row.</summary>
    int ObservationSize { get; }

    /// <summary>What one environment's action is.</summary>
    ActionSpace ActionSpace { get; }

    /// <summary>Number of distinct tasks the environments run (1 for single-task environments); task ids are in [0, TaskCount).</summary>
    int TaskCount { get; }

    /// <summary>The buffers Reset and Step write; allocated once, reused every step.</summary>
    VectorStepBuffers Buffers { get; }

    /// <summary>What a successful episode is here (default: termination, as in goal-reaching tasks).</summary>
    SuccessSignal SuccessSignal => SuccessSignal.Termination;

    /// <summary>Seed of the last <see cref="Reset"/>.</summary>
    ulong Seed { get; }

    /// <summary>
    /// Starts a fresh episode in every environment from <paramref name="seed"/> (episode counters
    /// restart at 0) and writes the first observations (and goals, task ids); rewards and flags
    /// are cleared. Must be called before the first Step.
    /// </summary>
    /// <param name="seed">Seed of the counter-based generator.</param>
    void Reset(ulong seed);
}
