namespace Mtrl.Runtime.MultiTask;

/// <summary>
/// One contiguous copy between the store's flat gradient buffer and a packed buffer: adjacent
/// slices of the same kind merge into one run, so capturing and scattering are a few memcpys.
/// </summary>
/// <param name="StoreOffset">Start in <see cref="Parameters.ParameterStore.Gradients"/>.</param>
/// <param name="PackedOffset">Start in the packed buffer (a task row or the task-specific staging).</param>
/// <param name="Length">Floats to copy.</param>
/// <param name="Task">For task-specific runs, the task whose capture provides them; −1 for shared runs.</param>
internal readonly record struct GradientCopyRun(int StoreOffset, int PackedOffset, int Length, int Task);
