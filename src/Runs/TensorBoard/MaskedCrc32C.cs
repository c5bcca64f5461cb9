using System;
using System.IO.Hashing;

namespace Mtrl.Runs.TensorBoard;

/// <summary>
/// The checksum TFRecord framing uses: CRC-32C (Castagnoli), then "masked" — rotated right by 15
/// bits and offset by 0xa282ead8 — so that a CRC stored inside CRC-checked data does not make the
/// outer CRC degenerate (TensorFlow's <c>crc32c::Mask</c>).
/// </summary>
public static class MaskedCrc32C
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>Plain CRC-32C of <paramref name="data"/>.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    /// <summary>Masks a CRC.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>Undoes <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        var rotated = masked - MaskDelta;
        return (rotated >> 17) | (rotated << 15);
    }

    /// <summary>The masked CRC-32C of <paramref name="data"/>, as stored in TFRecord files.</summary>
    public static uint Of(ReadOnlySpan<byte> data) => Mask(Crc32C(data));
}
