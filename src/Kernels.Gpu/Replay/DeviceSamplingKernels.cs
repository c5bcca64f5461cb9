using ILGPU;
using Mtrl.Kernels.Gpu.Random;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Slot selection on the device, the twins of <see cref="UniformSlotSelector"/> and
/// <see cref="TaskBalancedSlotSelector"/>: the same Philox blocks (row i uses block counter + i of
/// (seed, stream), balanced retries streams stream + a·2^48), the same integer arithmetic and the
/// same searches, so each row gets the slot the CPU sampler picks. A row that has nothing to draw
/// from gets slot −1 (its gathered row is poisoned and the sample is reported as a fault).
/// </summary>
internal static class DeviceSamplingKernels
{
    /// <summary>
    /// One thread: the cumulative counts the selectors search (per env; per task and env) and,
    /// for a balanced sample, the task shares of the batch, exactly as the CPU buffer computes
    /// them (<see cref="BalancedShares.Split"/> with rotation calls · remainder mod active tasks).
    /// </summary>
    public static void Prefixes(
        Index1D index, DeviceLedgerViews ledger, ArrayView<int> envPrefix, ArrayView<int> taskEnvPrefix, ArrayView<int> rowStarts,
        int batch, long balancedCalls)
    {
        if (index != 0)
        {
            return;
        }

        int envs = ledger.Envs;
        envPrefix[0] = 0;
        for (int env = 0; env < envs; env++)
        {
            envPrefix[env + 1] = envPrefix[env] + ledger.ValidCounts[env];
        }

        int active = 0;
        for (int t = 0; t < ledger.Tasks; t++)
        {
            int offset = t * (envs + 1);
            taskEnvPrefix[offset] = 0;
            for (int env = 0; env < envs; env++)
            {
                taskEnvPrefix[offset + env + 1] = taskEnvPrefix[offset + env] + ledger.TaskEnvCounts[(t * envs) + env];
            }

            active += taskEnvPrefix[offset + envs] > 0 ? 1 : 0;
        }

        rowStarts[0] = 0;
        if (active == 0)
        {
            ledger.Fault[3] = DeviceReplayFault.NoSampleableTransition;
            for (int t = 0; t < ledger.Tasks; t++)
            {
                rowStarts[t + 1] = 0;
            }

            return;
        }

        int remainder = batch % active;
        int first = (int)((ulong)balancedCalls * (ulong)remainder % (ulong)active);
        int share = batch / active;
        int position = 0;
        for (int t = 0; t < ledger.Tasks; t++)
        {
            int rows = 0;
            if (taskEnvPrefix[(t * (envs + 1)) + envs] > 0)
            {
                int distance = position - first;
                if (distance < 0)
                {
                    distance += active;
                }

                rows = share + (distance < remainder ? 1 : 0);
                position++;
            }

            rowStarts[t + 1] = rowStarts[t] + rows;
        }
    }

    /// <summary>Uniform over every sampleable slot: <see cref="UniformSlotSelector.Select"/> for row <paramref name="row"/>.</summary>
    public static void SelectUniform(
        Index1D row, DeviceLedgerViews ledger, ArrayView<int> envPrefix, ArrayView<int> slots, ulong seed, ulong stream, ulong counter)
    {
        int envs = ledger.Envs;
        int total = envPrefix[envs];
        if (total <= 0)
        {
            slots[row] = -1;
            return;
        }

        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(int)row);
        int value = DevicePhilox.ToIndex(block.X0, block.X1, total);
        int env = Group(envPrefix, 0, envs, value);
        slots[row] = SlotAt(ledger, ledger.ValidStarts[env], value - envPrefix[env], env);
    }

    /// <summary>Equal shares per task, uniform within each: <see cref="TaskBalancedSlotSelector.Select"/> for row <paramref name="row"/>.</summary>
    public static void SelectBalanced(
        Index1D row, DeviceRingViews ring, DeviceLedgerViews ledger, ArrayView<int> envPrefix, ArrayView<int> taskEnvPrefix, ArrayView<int> rowStarts,
        ArrayView<int> slots, ulong seed, ulong stream, ulong counter)
    {
        int envs = ledger.Envs;
        if (envPrefix[envs] <= 0)
        {
            slots[row] = -1;
            return;
        }

        int task = Group(rowStarts, 0, ledger.Tasks, row);
        int offset = task * (envs + 1);
        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(int)row);
        int value = DevicePhilox.ToIndex(block.X0, block.X1, taskEnvPrefix[offset + envs]);
        int env = Group(taskEnvPrefix, offset, envs, value);
        int rank = value - taskEnvPrefix[offset + env];
        int taskRows = taskEnvPrefix[offset + env + 1] - taskEnvPrefix[offset + env];
        int envRows = ledger.ValidCounts[env];
        int start = ledger.ValidStarts[env];
        if (taskRows == envRows)
        {
            slots[row] = SlotAt(ledger, start, rank, env);
            return;
        }

        int candidate = SlotAt(ledger, start, DevicePhilox.ToIndex(block.X2, block.X3, envRows), env);
        if (ring.TaskIds[candidate] == task)
        {
            slots[row] = candidate;
            return;
        }

        for (int attempt = 1; attempt < TaskBalancedSlotSelector.MaxAttempts; attempt++)
        {
            PhiloxBlock retry = DevicePhilox.Generate(seed, stream + ((ulong)attempt << 48), counter + (ulong)(int)row);
            candidate = SlotAt(ledger, start, DevicePhilox.ToIndex(retry.X0, retry.X1, envRows), env);
            if (ring.TaskIds[candidate] == task)
            {
                slots[row] = candidate;
                return;
            }

            candidate = SlotAt(ledger, start, DevicePhilox.ToIndex(retry.X2, retry.X3, envRows), env);
            if (ring.TaskIds[candidate] == task)
            {
                slots[row] = candidate;
                return;
            }
        }

        slots[row] = WalkToRank(ring, ledger, start, rank, env, task);
    }

    /// <summary>The group g with prefix[offset + g] ≤ value &lt; prefix[offset + g + 1]: <see cref="PrefixSearch.Group"/>'s search, step for step.</summary>
    private static int Group(ArrayView<int> prefix, int offset, int groups, int value)
    {
        int low = 0;
        int size = groups;
        while (size > 1)
        {
            int half = size >> 1;
            low = prefix[offset + low + half] <= value ? low + half : low;
            size -= half;
        }

        return low;
    }

    private static int SlotAt(DeviceLedgerViews ledger, int start, int rowOffset, int env)
    {
        int ringRow = start + rowOffset;
        if (ringRow >= ledger.Rows)
        {
            ringRow -= ledger.Rows;
        }

        return (ringRow * ledger.Envs) + env;
    }

    /// <summary>The rank-th slot of the task in the env's sampleable run, by walking its episodes.</summary>
    private static int WalkToRank(DeviceRingViews ring, DeviceLedgerViews ledger, int start, int rank, int env, int task)
    {
        int ringRow = start;
        int left = ledger.ValidCounts[env];
        while (left > 0)
        {
            int slot = (ringRow * ledger.Envs) + env;
            int length = ledger.EpisodeLengths[slot];
            if (ring.TaskIds[slot] == task)
            {
                if (rank < length)
                {
                    return SlotAt(ledger, ringRow, rank, env);
                }

                rank -= length;
            }

            ringRow += length;
            if (ringRow >= ledger.Rows)
            {
                ringRow -= ledger.Rows;
            }

            left -= length;
        }

        // Unreachable while the bookkeeping is consistent; a bounded loop instead of a hang if not.
        return -1;
    }
}
