using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Random;

/// <summary>
/// Bulk random fills of device arrays with the layout of <see cref="PhiloxFill"/>: value e of a
/// float fill is word e mod 4 of block counter + e / 4, value e of an index fill uses words
/// 2(e mod 2), 2(e mod 2) + 1 of block counter + e / 2. So a device fill equals the CPU fill of the
/// same (seed, stream, counter) element for element, and advances counters by the same amounts
/// (<see cref="PhiloxFill.CountersForFloats"/>, <see cref="PhiloxFill.CountersForIndices"/>).
/// </summary>
/// <remarks>One thread per value; the kernels are compiled once per instance, on its device.</remarks>
public sealed class DevicePhiloxFill
{
    private readonly ILGPU.Runtime.Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<float>, ulong, ulong, ulong> _uniform;
    private readonly Action<Index1D, ArrayView<int>, int, ulong, ulong, ulong> _index;
    private readonly Action<Index1D, ArrayView<uint>, ulong, ulong, ulong> _blocks;

    /// <summary>Compiles the fill kernels for <paramref name="device"/>.</summary>
    /// <param name="device">An open device.</param>
    public DevicePhiloxFill(GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _accelerator = device.Accelerator;
        _uniform = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ulong, ulong, ulong>(UniformKernel);
        _index = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, ulong, ulong, ulong>(IndexKernel);
        _blocks = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ulong, ulong, ulong>(BlocksKernel);
    }

    /// <summary>Uniform floats in [0, 1) into <paramref name="destination"/>, as <see cref="PhiloxFill.Uniform"/>.</summary>
    /// <param name="destination">Device array to overwrite.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream under the seed.</param>
    /// <param name="counter">Counter of the first block.</param>
    public void Uniform(ArrayView<float> destination, ulong seed, ulong stream, ulong counter)
    {
        if (destination.Length > 0)
        {
            _uniform((int)destination.Length, destination, seed, stream, counter);
        }
    }

    /// <summary>Indices in [0, <paramref name="n"/>) into <paramref name="destination"/>, as <see cref="PhiloxFill.Index"/>.</summary>
    /// <param name="destination">Device array to overwrite.</param>
    /// <param name="n">Exclusive upper bound; at least 1.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream under the seed.</param>
    /// <param name="counter">Counter of the first block.</param>
    public void Index(ArrayView<int> destination, int n, ulong seed, ulong stream, ulong counter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (destination.Length > 0)
        {
            _index((int)destination.Length, destination, n, seed, stream, counter);
        }
    }

    /// <summary>
    /// The raw blocks counter .. counter + length / 4 − 1, four words each in word order: the
    /// generator itself, for checks against <see cref="Philox4x32.Generate"/>.
    /// </summary>
    /// <param name="destination">Device array; its length must be a multiple of 4.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream under the seed.</param>
    /// <param name="counter">Counter of the first block.</param>
    public void Blocks(ArrayView<uint> destination, ulong seed, ulong stream, ulong counter)
    {
        if (destination.Length % 4 != 0)
        {
            throw new ArgumentException($"destination holds {destination.Length} words; it must hold whole blocks (a multiple of 4)", nameof(destination));
        }

        if (destination.Length > 0)
        {
            _blocks((int)(destination.Length / 4), destination, seed, stream, counter);
        }
    }

    private static void UniformKernel(Index1D e, ArrayView<float> destination, ulong seed, ulong stream, ulong counter)
    {
        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(e / PhiloxFill.FloatsPerCounter));
        destination[e] = DevicePhilox.ToUniform(DevicePhilox.Word(block, e % PhiloxFill.FloatsPerCounter));
    }

    private static void IndexKernel(Index1D e, ArrayView<int> destination, int n, ulong seed, ulong stream, ulong counter)
    {
        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(e / PhiloxFill.IndicesPerCounter));
        int pair = e % PhiloxFill.IndicesPerCounter;
        destination[e] = DevicePhilox.ToIndex(DevicePhilox.Word(block, 2 * pair), DevicePhilox.Word(block, (2 * pair) + 1), n);
    }

    private static void BlocksKernel(Index1D b, ArrayView<uint> destination, ulong seed, ulong stream, ulong counter)
    {
        PhiloxBlock block = DevicePhilox.Generate(seed, stream, counter + (ulong)(int)b);
        destination[(4 * b) + 0] = block.X0;
        destination[(4 * b) + 1] = block.X1;
        destination[(4 * b) + 2] = block.X2;
        destination[(4 * b) + 3] = block.X3;
    }
}
