namespace Mtrl.GpuBenchmarks;

/// <summary>
/// The cases of issue #14's device benchmarks, and a quick set small enough for ILGPU's CPU
/// emulator (used by the smoke test and to try the script without a GPU).
/// </summary>
/// <param name="ReplayCapacities">Replay sizes (slots).</param>
/// <param name="Batches">Batch sizes sampled from each.</param>
/// <param name="PcGradTasks">T of the PCGrad and CAGrad cases.</param>
/// <param name="PcGradParameters">P of the PCGrad and CAGrad cases.</param>
/// <param name="CartPoleEnvironments">N of the CartPole, PointMass and GridWorld cases.</param>
/// <param name="Repetitions">Timed runs per case (the median is reported).</param>
/// <param name="DqnReplayCapacity">Replay size of the DQN update case.</param>
/// <param name="DqnBatch">Batch of the DQN update case.</param>
/// <param name="DqnHidden">Width of the DQN network's two hidden layers.</param>
/// <param name="SacReplayCapacity">Replay size of the SAC update case.</param>
/// <param name="SacBatch">Batch of the SAC update case.</param>
/// <param name="SacHidden">Width of the SAC networks' hidden layers.</param>
/// <param name="SacLayers">Hidden layers of each SAC network.</param>
internal sealed record BenchmarkSizes(
    int[] ReplayCapacities, int[] Batches, int PcGradTasks, int PcGradParameters, int[] CartPoleEnvironments, int Repetitions,
    int DqnReplayCapacity, int DqnBatch, int DqnHidden, int SacReplayCapacity, int SacBatch, int SacHidden, int SacLayers)
{
    /// <summary>
    /// The sizes the issue asks for: replay 200k and 1M with batches 256–65,536 (uniform, HER, prioritized), PCGrad and CAGrad
    /// T = 10, P = 10^6, CartPole, PointMass and GridWorld N = 4,096 to 1,048,576; one DQN update (HER sample of 256 from 200k,
    /// two hidden layers of 256); one MT-SAC update (batch 1,280 — mtrl's 128 per task for ten tasks — from 100k, three hidden
    /// layers of 400, as tests/Benchmarks' MT-SAC case).
    /// </summary>
    public static BenchmarkSizes Full { get; } = new(
        [200_000, 1_000_000], [256, 1_024, 4_096, 16_384, 65_536], 10, 1_000_000, [4_096, 65_536, 1_048_576], 21, 200_000, 256, 256, 100_000, 1_280, 400, 3);

    /// <summary>Untimed runs before the timed ones: 3, or 1 at the quick sizes, where the emulated SAC update takes seconds.</summary>
    public int Warmups => Repetitions >= 21 ? 3 : 1;

    /// <summary>Tiny sizes that finish in seconds on the emulator.</summary>
    public static BenchmarkSizes Quick { get; } = new([512], [64], 2, 1_024, [64], 3, 512, 16, 8, 500, 16, 8, 1);
}
