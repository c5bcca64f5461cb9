using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>The elementwise steps of SAC's acting on the device, each the CPU trainer's loop operation for operation.</summary>
internal static class DeviceSacActingKernels
{
    /// <summary>Warm-up actions: uniforms u in [0, 1) become 2u − 1, in place.</summary>
    internal static void WarmupActions(Index1D i, ArrayView<float> actions) => actions[i] = (2f * actions[i]) - 1f;

    /// <summary>Normalised actions a in [−1, 1] onto the environment's bounds: low + (a + 1)·½(high − low), per dimension.</summary>
    internal static void ToEnvironment(Index1D i, ArrayView<float> actions, ArrayView<float> low, ArrayView<float> scale, ArrayView<float> environmentActions, int width)
    {
        int d = i % width;
        environmentActions[i] = low[d] + ((actions[i] + 1f) * scale[d]);
    }
}
