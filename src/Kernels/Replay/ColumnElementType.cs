namespace Mtrl.Kernels.Replay;

/// <summary>
/// How a replay column stores the elements of its rows. Samplers always hand the learner float32
/// rows; a compact type only changes the storage, so a batch is the same whichever type is chosen,
/// while a sample reads a fraction of the bytes. See <see cref="ColumnEncoding"/> for the layouts.
/// </summary>
public enum ColumnElementType
{
    /// <summary>One float32 per element (4 bytes): any value. The default.</summary>
    Float32 = 0,

    /// <summary>One byte per element: integers in [0, 255], e.g. discrete (MultiDiscrete) or pixel observations.</summary>
    UInt8 = 1,

    /// <summary>One bit per element, ⌈width / 8⌉ bytes per row: only 0 and 1, e.g. MultiBinary / BitFlip observations and goals.</summary>
    Bit = 2,
}
