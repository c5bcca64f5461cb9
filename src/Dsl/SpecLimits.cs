using Mtrl.Contracts;

namespace Mtrl.Dsl;

/// <summary>
/// The largest sizes a spec may ask for. <c>mtrl check</c> (and the build) refuses anything
/// beyond them with a positioned MTRL0300 or MTRL0301, so a spec that passes never overflows
/// 32-bit sizes in the runtime or asks for buffers no machine can hold. docs/language.md
/// ("Limits") states each one with its reason; they are far above real use.
/// </summary>
public static class SpecLimits
{
    /// <summary>Tasks of one agent; the runtime keeps per-task tables (replay, gradients) of this size.</summary>
    public const int MaxTasks = 65_536;

    /// <summary>Width of any input, goal, layer, embedding, routing or reduction, and the action size.</summary>
    public const int MaxWidth = 1_000_000;

    /// <summary>Layers of one block: entries of a <c>widths</c> list, <c>layers</c> of soft_modular and pathnet.</summary>
    public const int MaxLayers = 1_000;

    /// <summary>Experts of a mixture, modules per layer, active modules, top-k and HER's k.</summary>
    public const int MaxModules = 1_000;

    /// <summary>
    /// Parameters of one agent (blocks once). One float32 copy is 4 GB; training keeps at least
    /// four (values, gradients, two Adam moments) per network copy, and the runtime indexes the
    /// flat buffer with 32-bit offsets.
    /// </summary>
    public const long MaxParameters = 1_000_000_000;

    /// <summary>Named parameter tensors of one agent (each is one slice of the flat buffer and one line of the layout).</summary>
    public const int MaxParameterTensors = 1_000_000;

    /// <summary>Samples per update.</summary>
    public const int MaxBatch = 1_048_576;

    /// <summary>
    /// batch × the agent's activation width: floats of one forward pass over a batch (1 GiB).
    /// Every workspace is batch × width floats, so this also keeps each below 2³¹ elements.
    /// </summary>
    public const long MaxBatchActivations = 268_435_456;

    /// <summary>Transitions in the replay buffer: slots are 32-bit and priorities need 2·capacity tree nodes (the runtime enforces the same limit).</summary>
    public const int MaxReplayCapacity = ReplayLimits.MaxCapacity;

    /// <summary>Estimated bytes of the replay buffer (64 GiB).</summary>
    public const long MaxReplayBytes = 68_719_476_736;

    /// <summary>Elements of one array (.NET's Array.MaxLength): a replay field holds capacity × width of them.</summary>
    public const long MaxArrayLength = 2_147_483_591;

    /// <summary>Environment steps of a run, and every other step count (warmup, decay, per task, per evaluation).</summary>
    public const long MaxSteps = 1_000_000_000_000;

    /// <summary>Pathways in a PathNet population (each holds layers × active module indices).</summary>
    public const int MaxPopulation = 10_000;

    /// <summary>Steps between updates, updates per round, and similar intervals.</summary>
    public const int MaxInterval = 1_000_000;
}
