namespace Mtrl.Kernels;

/// <summary>
/// The 128 bits one Philox4x32 evaluation produces, as four 32-bit words. A value type so
/// generating random numbers inside a kernel allocates nothing.
/// </summary>
/// <param name="X0">Word 0.</param>
/// <param name="X1">Word 1.</param>
/// <param name="X2">Word 2.</param>
/// <param name="X3">Word 3.</param>
public readonly record struct PhiloxBlock(uint X0, uint X1, uint X2, uint X3)
{
    /// <summary>Word <paramref name="index"/> (0..3), for code that walks a block's words in a loop.</summary>
    /// <param name="index">Word index in [0, 4).</param>
    public uint this[int index] => index switch
    {
        0 => X0,
        1 => X1,
        2 => X2,
        3 => X3,
        _ => throw new System.ArgumentOutOfRangeException(nameof(index)),
    };
}
