using ILGPU;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Copies each batch row's slot (chosen by <see cref="DeviceSamplingKernels"/>) from the ring into
/// the batch, field by field as the CPU <c>TransitionGather</c> does. A row with slot −1 (nothing
/// to sample) is filled with NaN and task −1, so it can never pass for data.
/// </summary>
internal static class DeviceGatherKernel
{
    public static void Gather(Index1D row, DeviceRingViews ring, DeviceBatchViews batch)
    {
        int slot = batch.Slots[row];
        batch.GoalSlots[row] = -1;
        if (slot < 0)
        {
            Poison(batch.Observations, row, ring.ObservationWidth);
            Poison(batch.NextObservations, row, ring.ObservationWidth);
            Poison(batch.Actions, row, ring.ActionWidth);
            Poison(batch.AchievedGoals, row, ring.GoalWidth);
            Poison(batch.NextAchievedGoals, row, ring.GoalWidth);
            Poison(batch.DesiredGoals, row, ring.GoalWidth);
            batch.Rewards[row] = float.NaN;
            batch.Terminated[row] = float.NaN;
            batch.Truncated[row] = float.NaN;
            batch.TaskIds[row] = -1;
            batch.Weights[row] = float.NaN;
            return;
        }

        Copy(ring.Observations, slot, batch.Observations, row, ring.ObservationWidth);
        Copy(ring.NextObservations, slot, batch.NextObservations, row, ring.ObservationWidth);
        Copy(ring.Actions, slot, batch.Actions, row, ring.ActionWidth);
        Copy(ring.AchievedGoals, slot, batch.AchievedGoals, row, ring.GoalWidth);
        Copy(ring.NextAchievedGoals, slot, batch.NextAchievedGoals, row, ring.GoalWidth);
        Copy(ring.DesiredGoals, slot, batch.DesiredGoals, row, ring.GoalWidth);
        batch.Rewards[row] = ring.Rewards[slot];
        batch.Terminated[row] = ring.Terminated[slot];
        batch.Truncated[row] = ring.Truncated[slot];
        batch.TaskIds[row] = ring.TaskIds[slot];
        batch.Weights[row] = 1f; // a prioritized sample overwrites it with the importance weight
    }

    private static void Copy(ArrayView<float> source, int sourceRow, ArrayView<float> destination, int destinationRow, int width)
    {
        for (int k = 0; k < width; k++)
        {
            destination[(destinationRow * width) + k] = source[(sourceRow * width) + k];
        }
    }

    private static void Poison(ArrayView<float> destination, int row, int width)
    {
        for (int k = 0; k < width; k++)
        {
            destination[(row * width) + k] = float.NaN;
        }
    }
}
