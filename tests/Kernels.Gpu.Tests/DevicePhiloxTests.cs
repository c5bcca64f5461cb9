using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Random;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DevicePhiloxTests(IlgpuCpuFixture fixture)
{
    private readonly DevicePhiloxFill _fill = new(fixture.Device);

    public static TheoryData<ulong, ulong, ulong> Keys() => new()
    {
        { 0UL, 0UL, 0UL },
        { 42UL, 0x5245_504C_4159UL, 12_345UL },
        // Counter carry into word 1, stream and seed high words set, and the 2^64 wrap.
        { 0x299f31d0a4093822UL, 0x0370734413198a2eUL + (3UL << 48), 0xffff_ff80UL },
        { ulong.MaxValue, ulong.MaxValue, ulong.MaxValue - 100 },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void DeviceBlocksEqualCpuBlocks(ulong seed, ulong stream, ulong counter)
    {
        const int blocks = 257;
        using MemoryBuffer1D<uint, Stride1D.Dense> words = Poisoned(4 * blocks, uint.MaxValue);
        _fill.Blocks(words.View, seed, stream, counter);
        uint[] actual = words.GetAsArray1D();
        for (int b = 0; b < blocks; b++)
        {
            PhiloxBlock expected = Philox4x32.Generate(seed, stream, unchecked(counter + (ulong)b));
            Assert.Equal(expected, new PhiloxBlock(actual[4 * b], actual[(4 * b) + 1], actual[(4 * b) + 2], actual[(4 * b) + 3]));
        }
    }

    [Fact]
    public void DeviceGeneratorMatchesRandom123KnownAnswerWhenCalledOnTheHost()
    {
        // The same method the kernels compile, run as plain C#: Random123's third 10-round vector.
        Assert.Equal(new PhiloxBlock(0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u),
            DevicePhilox.Generate(seed: 0x299f31d0a4093822, stream: 0x0370734413198a2e, counter: 0x85a308d3243f6a88));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(1001)]
    public void UniformFillEqualsCpuFillBitForBit(int length)
    {
        using MemoryBuffer1D<float, Stride1D.Dense> device = Poisoned(length, float.NaN);
        _fill.Uniform(device.View, seed: 7, stream: 3, counter: 0xffff_fffeUL);
        var expected = new float[length];
        PhiloxFill.Uniform(expected, 7, 3, 0xffff_fffeUL);
        Assert.Equal(expected, device.GetAsArray1D());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 7)]
    [InlineData(515, 1_000_003)]
    [InlineData(64, int.MaxValue)]
    public void IndexFillEqualsCpuFill(int length, int n)
    {
        using MemoryBuffer1D<int, Stride1D.Dense> device = Poisoned(length, -1);
        _fill.Index(device.View, n, seed: 11, stream: 5, counter: 99);
        var expected = new int[length];
        PhiloxFill.Index(expected, n, 11, 5, 99);
        Assert.Equal(expected, device.GetAsArray1D());
    }

    [Fact]
    public void ToIndexEqualsCpuConversionOnExtremeAndRandomWords()
    {
        var random = new System.Random(3);
        uint[] special = [0u, 1u, 0x7fff_ffffu, 0x8000_0000u, 0xffff_fffeu, uint.MaxValue];
        int[] bounds = [1, 2, 3, 1000, 1_000_003, int.MaxValue - 1, int.MaxValue];
        foreach (int n in bounds)
        {
            foreach (uint low in special)
            {
                foreach (uint high in special)
                {
                    Assert.Equal(RandomBits.ToIndex(low, high, n), DevicePhilox.ToIndex(low, high, n));
                }
            }

            for (int i = 0; i < 1000; i++)
            {
                uint low = (uint)random.NextInt64(0, 1L << 32);
                uint high = (uint)random.NextInt64(0, 1L << 32);
                Assert.Equal(RandomBits.ToIndex(low, high, n), DevicePhilox.ToIndex(low, high, n));
            }
        }
    }

    [Fact]
    public void RefusesPartialBlocksAndEmptyBounds()
    {
        using MemoryBuffer1D<uint, Stride1D.Dense> words = fixture.Device.Accelerator.Allocate1D<uint>(6);
        var error = Assert.Throws<ArgumentException>(() => _fill.Blocks(words.View, 0, 0, 0));
        Assert.Contains("holds 6 words", error.Message, StringComparison.Ordinal);
        using MemoryBuffer1D<int, Stride1D.Dense> indices = fixture.Device.Accelerator.Allocate1D<int>(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => _fill.Index(indices.View, 0, 0, 0, 0));
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Poisoned<T>(int length, T poison)
        where T : unmanaged
    {
        var values = new T[length];
        Array.Fill(values, poison);
        return fixture.Device.Accelerator.Allocate1D(values);
    }
}
