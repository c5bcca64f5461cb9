using ILGPU;
using Mtrl.Kernels.Gpu.Random;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Proportional prioritized replay on the device: the parents of the <see cref="SumTree"/>s rebuilt
/// level by level, the twins of <see cref="ProportionalSlotSelector"/> and
/// <see cref="TaskProportionalSlotSelector"/> (the same Philox words, stratified mass, descent and
/// float64 weight arithmetic, so each row gets the CPU's slot), the division by the batch's largest
/// weight, and the priority update after the TD error.
/// </summary>
/// <remarks>
/// A tree's parents are always left + right, so its values depend only on its leaves (as on the
/// CPU, <see cref="SumTree"/>): rebuilding every parent from the leaves gives the CPU's tree bit for bit
/// however the leaves were written. Priority state, as 64-bit cells: [<see cref="MaxPriorityBits"/>] the
/// largest priority (the bits of a positive double, so an integer atomic maximum orders them),
/// [<see cref="UpdateFault"/>] why an update was refused, [<see cref="UpdateFaultRow"/>] the row,
/// [<see cref="UpdateFaultValue"/>] the bad slot or the bits of the bad priority.
/// </remarks>
internal static class DevicePriorityKernels
{
    public const int MaxPriorityBits = 0;
    public const int UpdateFault = 1;
    public const int UpdateFaultRow = 2;
    public const int UpdateFaultValue = 3;
    public const int StateLength = 4;

    /// <summary>Update fault: a slot outside [0, capacity).</summary>
    public const long SlotOutOfRange = 1;

    /// <summary>Update fault: a priority that is NaN, ±∞ or negative.</summary>
    public const long BadPriority = 2;

    /// <summary>
    /// One thread per (tree, node) of one depth: node = left + right. Nodes of depth d are
    /// [2^d, min(2^(d+1), leaves)); their children are one depth down (parents or leaves), so
    /// launching the depths from the deepest up rebuilds every parent.
    /// </summary>
    public static void RebuildLevel(Index1D index, ArrayView<double> trees, long treeLength, int first, int count)
    {
        int tree = index / count;
        long node = first + (index - (tree * count));
        long offset = tree * treeLength;
        trees[offset + node] = trees[offset + (2 * node)] + trees[offset + (2 * node) + 1];
    }

    /// <summary>
    /// <see cref="ProportionalSlotSelector.Select"/> for row <paramref name="row"/>: stratified mass
    /// from words 0 and 1 of block counter + row, descent, raw weight (n·P)^−β; the bits of the
    /// largest raw weight go to maxBits[0]. Nothing sampleable (envPrefix total 0): slot −1, NaN.
    /// </summary>
    public static void SelectProportional(
        Index1D row, ArrayView<double> tree, ArrayView<int> envPrefix, int envs, ArrayView<int> slots, ArrayView<float> raw,
        ArrayView<int> maxBits, ArrayView<int> fault, ulong seed, ulong stream, ulong counter, int batch, double beta)
    {
        int population = envPrefix[envs];
        int leaves = (int)(tree.Length / 2);
        double total = tree[1];
        if (population <= 0 || !(total > 0d))
        {
            Refuse(row, slots, raw, maxBits, fault, population);
            return;
        }

        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(int)row);
        double mass = StratifiedMass(total, row, batch, block.X0, block.X1);
        int leaf = Find(tree, 0, leaves, mass);
        double probability = tree[leaves + leaf] / total;
        Keep(row, slots, raw, maxBits, leaf, (float)System.Math.Pow((double)population * probability, -beta));
    }

    /// <summary>
    /// <see cref="TaskProportionalSlotSelector.Select"/> for row <paramref name="row"/>: the row's task
    /// from the balanced shares, stratified over that task's tree, probability (B_t/B)·w/Σ_t.
    /// </summary>
    public static void SelectTaskProportional(
        Index1D row, ArrayView<double> trees, long treeLength, ArrayView<int> rowStarts, ArrayView<int> envPrefix, int envs, ArrayView<int> slots,
        ArrayView<float> raw, ArrayView<int> maxBits, ArrayView<int> fault, ulong seed, ulong stream, ulong counter, int batch, double beta)
    {
        int population = envPrefix[envs];
        if (population <= 0)
        {
            Refuse(row, slots, raw, maxBits, fault, population);
            return;
        }

        int task = 0;
        while (row >= rowStarts[task + 1])
        {
            task++;
        }

        int first = rowStarts[task];
        int rows = rowStarts[task + 1] - first;
        long offset = task * treeLength;
        int leaves = (int)(treeLength / 2);
        double total = trees[offset + 1];
        if (!(total > 0d))
        {
            Refuse(row, slots, raw, maxBits, fault, population);
            return;
        }

        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(int)row);
        double mass = StratifiedMass(total, row - first, rows, block.X0, block.X1);
        int leaf = Find(trees, offset, leaves, mass);
        double probability = (double)rows / batch * trees[offset + leaves + leaf] / total;
        Keep(row, slots, raw, maxBits, leaf, (float)System.Math.Pow((double)population * probability, -beta));
    }

    /// <summary>weights[row] = raw[row] / the batch's largest raw weight, as the CPU buffer's division.</summary>
    public static void Normalize(Index1D row, ArrayView<float> raw, ArrayView<float> weights, ArrayView<int> maxBits)
        => weights[row] = raw[row] / Interop.IntAsFloat((uint)maxBits[0]);

    /// <summary>One thread per row of an update: the CPU buffer's argument checks (first bad row wins); a refused update changes nothing.</summary>
    public static void CheckUpdate(Index1D row, ArrayView<int> slots, ArrayView<float> priorities, ArrayView<long> state, int capacity)
    {
        int slot = slots[row];
        float priority = priorities[row];
        long code = 0;
        long value = 0;
        if ((uint)slot >= (uint)capacity)
        {
            code = SlotOutOfRange;
            value = slot;
        }
        else if (!(priority >= 0f) || (Interop.FloatAsInt(priority) & 0x7F80_0000u) == 0x7F80_0000u)
        {
            code = BadPriority;
            value = Interop.FloatAsInt(priority);
        }

        if (code != 0 && Atomic.CompareExchange(ref state[UpdateFault], 0L, code) == 0L)
        {
            state[UpdateFaultRow] = row;
            state[UpdateFaultValue] = value;
        }
    }

    /// <summary>One thread per row: the last row naming a slot owns its leaf (rows are applied in order on the CPU, so the last one wins).</summary>
    public static void ClaimSlots(Index1D row, ArrayView<int> slots, ArrayView<int> owners, ArrayView<long> state)
    {
        if (state[UpdateFault] == 0L)
        {
            Atomic.Max(ref owners[slots[row]], row + 1);
        }
    }

    /// <summary>
    /// One thread per row: the CPU index's Update for a sampleable slot — p = priority + ε in
    /// float64, the largest priority raised to p, and (by the owning row) the leaf set to p^α in
    /// the tree and in the slot's task tree.
    /// </summary>
    public static void ApplyUpdate(
        Index1D row, ArrayView<int> slots, ArrayView<float> priorities, ArrayView<int> owners, DeviceLedgerViews ledger, ArrayView<int> taskIds,
        double epsilon)
    {
        if (ledger.PriorityState[UpdateFault] != 0L)
        {
            return;
        }

        int slot = slots[row];
        if (ledger.EpisodeLengths[slot] <= 0)
        {
            return;
        }

        double p = priorities[row] + epsilon;
        Atomic.Max(ref ledger.PriorityState[MaxPriorityBits], (long)Interop.FloatAsInt(p));
        if (owners[slot] != row + 1)
        {
            return;
        }

        double weight = System.Math.Pow(p, ledger.PriorityExponent);
        long capacity = (long)ledger.Rows * ledger.Envs;
        ledger.PriorityTree[capacity + slot] = weight;
        if (ledger.TaskPriorities != 0)
        {
            ledger.TaskPriorityTrees[(taskIds[slot] * 2 * capacity) + capacity + slot] = weight;
        }
    }

    /// <summary>One thread per row: frees the slots claimed by <see cref="ClaimSlots"/> for the next update.</summary>
    public static void ReleaseSlots(Index1D row, ArrayView<int> slots, ArrayView<int> owners, ArrayView<long> state)
    {
        if (state[UpdateFault] == 0L)
        {
            owners[slots[row]] = 0;
        }
    }

    /// <summary><see cref="SumTree.StratifiedMass"/>: row i takes a uniform point of the i-th of <paramref name="rows"/> equal segments (53 random bits).</summary>
    private static double StratifiedMass(double total, int row, int rows, uint low, uint high)
    {
        double u = ((((ulong)high << 32) | low) >> 11) * (1.0 / (1UL << 53));
        double mass = (row + u) * (total / rows);

        // Math.BitDecrement of a positive finite total: the next double below it.
        return mass < total ? mass : Interop.IntAsFloat(Interop.FloatAsInt(total) - 1UL);
    }

    /// <summary><see cref="SumTree.Find"/> on the tree at <paramref name="offset"/>: left while mass is below the left sum (or the right sum is 0), else right.</summary>
    private static int Find(ArrayView<double> trees, long offset, int leaves, double mass)
    {
        int node = 1;
        while (node < leaves)
        {
            int left = 2 * node;
            double leftSum = trees[offset + left];
            if (mass < leftSum || trees[offset + left + 1] <= 0d)
            {
                node = left;
            }
            else
            {
                mass -= leftSum;
                node = left + 1;
            }
        }

        return node - leaves;
    }

    private static void Keep(int row, ArrayView<int> slots, ArrayView<float> raw, ArrayView<int> maxBits, int slot, float weight)
    {
        slots[row] = slot;
        raw[row] = weight;
        Atomic.Max(ref maxBits[0], (int)Interop.FloatAsInt(weight));
    }

    /// <summary>Nothing to draw: a poisoned row, and the fault the host reports (no episode ended, or no positive mass).</summary>
    private static void Refuse(int row, ArrayView<int> slots, ArrayView<float> raw, ArrayView<int> maxBits, ArrayView<int> fault, int population)
    {
        slots[row] = -1;
        raw[row] = float.NaN;
        Atomic.Max(ref maxBits[0], 0x7FC0_0000); // a positive quiet NaN: the largest "weight", so every weight of the batch becomes NaN
        fault[3] = population <= 0 ? DeviceReplayFault.NoSampleableTransition : DeviceReplayFault.NoPriorityMass;
    }
}
