using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// Builds SAC's network inputs on the device: each row is observation ⊕ goal ⊕ one-hot(task) ⊕
/// action (<see cref="DeviceSacInputLayout"/>), the input of a plain-MLP (MT-)SAC agent's actor
/// and critics — the CPU's <c>concat(obs, onehot(task), action)</c> — in one launch, one thread
/// per element. Copies are exact; a task id outside [0, T) makes that row's one-hot part NaN
/// (kernels cannot throw), so its losses are NaN and the update is skipped.
/// </summary>
public sealed class DeviceSacInputPacker
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, DeviceSacInputLayout> _pack;

    /// <summary>Compiles the kernel for <paramref name="device"/>.</summary>
    /// <param name="device">An open device.</param>
    public DeviceSacInputPacker(GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _pack = device.Accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, DeviceSacInputLayout>(PackKernel);
    }

    /// <summary>Writes <paramref name="rows"/> input rows into <paramref name="output"/> (rows × width); returns its used part.</summary>
    /// <param name="rows">Rows, at least 1.</param>
    /// <param name="observations">rows × <paramref name="observationWidth"/>.</param>
    /// <param name="goals">rows × <paramref name="goalWidth"/> (ignored when the width is 0).</param>
    /// <param name="tasks">rows task ids (ignored when <paramref name="taskCount"/> is 0).</param>
    /// <param name="actions">rows × <paramref name="actionWidth"/> (ignored when the width is 0).</param>
    /// <param name="observationWidth">At least 1.</param>
    /// <param name="goalWidth">At least 0.</param>
    /// <param name="taskCount">One-hot width, at least 0.</param>
    /// <param name="actionWidth">At least 0.</param>
    /// <param name="output">At least rows × the sum of the widths.</param>
    public ArrayView<float> Pack(
        int rows, ArrayView<float> observations, ArrayView<float> goals, ArrayView<int> tasks, ArrayView<float> actions,
        int observationWidth, int goalWidth, int taskCount, int actionWidth, ArrayView<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(goalWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(taskCount);
        ArgumentOutOfRangeException.ThrowIfNegative(actionWidth);
        var layout = DeviceSacInputLayout.Of(observationWidth, goalWidth, taskCount, actionWidth);
        AtLeast(observations, (long)rows * observationWidth, nameof(observations));
        AtLeast(goals, (long)rows * goalWidth, nameof(goals));
        AtLeast(tasks, taskCount > 0 ? rows : 0, nameof(tasks));
        AtLeast(actions, (long)rows * actionWidth, nameof(actions));
        long length = (long)rows * layout.Width;
        AtLeast(output, length, nameof(output));
        ArrayView<float> used = output.SubView(0, length);
        // Parts of width 0 are never read; ILGPU still wants a valid view in their place.
        _pack((int)length, observations, goalWidth > 0 ? goals : observations, taskCount > 0 ? tasks : default, actionWidth > 0 ? actions : observations, used, layout);
        return used;
    }

    /// <summary>Element e of the packed rows: the part its column falls in, copied or one-hot.</summary>
    internal static void PackKernel(
        Index1D e, ArrayView<float> observations, ArrayView<float> goals, ArrayView<int> tasks, ArrayView<float> actions, ArrayView<float> output, DeviceSacInputLayout layout)
    {
        int row = e / layout.Width;
        int column = e - (row * layout.Width);
        float value;
        if (column < layout.Observation)
        {
            value = observations[((long)row * layout.Observation) + column];
        }
        else if ((column -= layout.Observation) < layout.Goal)
        {
            value = goals[((long)row * layout.Goal) + column];
        }
        else if ((column -= layout.Goal) < layout.Tasks)
        {
            int task = tasks[row];
            value = task < 0 || task >= layout.Tasks ? float.NaN : task == column ? 1f : 0f;
        }
        else
        {
            column -= layout.Tasks;
            value = actions[((long)row * layout.Actions) + column];
        }

        output[e] = value;
    }

    private static void AtLeast<T>(ArrayView<T> view, long length, string name)
        where T : unmanaged
    {
        if (view.Length < length)
        {
            throw new ArgumentException($"{name} has {view.Length} values; {length} needed", name);
        }
    }
}
