using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Random;

/// <summary>
/// Standard-normal fills of device arrays with the layout of <see cref="PhiloxFill.Normal"/>: value
/// e uses block counter + e / 4, Box–Muller on words (0, 1) for e mod 4 ∈ {0, 1} and on words
/// (2, 3) for {2, 3}, the even value r·cos θ and the odd one r·sin θ, with r = √(−2 ln u₁) from
/// <see cref="RandomBits.ToUniformNonZero"/> and θ = 2π·<see cref="RandomBits.ToUniform"/>. The
/// words — which block and which pair feeds each value — are the CPU's exactly; the float results
/// differ from the CPU fill by the last bits only, because the CPU evaluates log, sine and cosine
/// with vector polynomials and the device with <see cref="MathF"/> (the scalar
/// <see cref="RandomBits.ToNormalPair"/>'s functions).
/// </summary>
/// <remarks>One thread per value; counters advance by <see cref="PhiloxFill.CountersForFloats"/>, as on the CPU.</remarks>
public sealed class DevicePhiloxNormal
{
    private readonly Action<Index1D, ArrayView<float>, ulong, ulong, ulong> _normal;

    /// <summary>Compiles the fill kernel for <paramref name="device"/>.</summary>
    /// <param name="device">An open device.</param>
    public DevicePhiloxNormal(GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _normal = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ulong, ulong, ulong>(NormalKernel);
    }

    /// <summary>Standard-normal floats into <paramref name="destination"/>, as <see cref="PhiloxFill.Normal"/> with mean 0 and standard deviation 1.</summary>
    /// <param name="destination">Device array to overwrite.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream under the seed.</param>
    /// <param name="counter">Counter of the first block.</param>
    public void Fill(ArrayView<float> destination, ulong seed, ulong stream, ulong counter)
    {
        if (destination.Length > 0)
        {
            _normal((int)destination.Length, destination, seed, stream, counter);
        }
    }

    /// <summary>Value e: the cosine (even e) or sine (odd e) half of its word pair's Box–Muller draw.</summary>
    internal static void NormalKernel(Index1D e, ArrayView<float> destination, ulong seed, ulong stream, ulong counter)
    {
        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(e / PhiloxFill.FloatsPerCounter));
        int word = e % PhiloxFill.FloatsPerCounter;
        bool firstPair = word < 2;
        uint radiusBits = firstPair ? block.X0 : block.X2;
        uint angleBits = firstPair ? block.X1 : block.X3;
        float radius = MathF.Sqrt(MathF.Log(((radiusBits >> 8) + 1) * RandomBits.Epsilon24) * -2f);
        float angle = DevicePhilox.ToUniform(angleBits) * RandomBits.TwoPi;
        destination[e] = radius * ((word & 1) == 0 ? MathF.Cos(angle) : MathF.Sin(angle));
    }
}
