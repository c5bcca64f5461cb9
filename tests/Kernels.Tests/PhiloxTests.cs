using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class PhiloxTests
{
    // Known-answer vectors from Random123's examples/kat_vectors (counter[4], key[2] → output[4]).
    public static TheoryData<int, uint[], uint[], uint[]> KnownAnswers() => new()
    {
        { 10, [0u, 0u, 0u, 0u], [0u, 0u], [0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u] },
        { 10, [0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu], [0xffffffffu, 0xffffffffu], [0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu] },
        { 10, [0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u], [0xa4093822u, 0x299f31d0u], [0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u] },
        { 7, [0u, 0u, 0u, 0u], [0u, 0u], [0x5f6fb709u, 0x0d893f64u, 0x4f121f81u, 0x4f730a48u] },
        { 7, [0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu], [0xffffffffu, 0xffffffffu], [0x5207ddc2u, 0x45165e59u, 0x4d8ee751u, 0x8c52f662u] },
        { 7, [0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u], [0xa4093822u, 0x299f31d0u], [0x4dfccabau, 0x190a87f0u, 0xc47362bau, 0xb6b5242au] },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void MatchesRandom123KnownAnswers(int rounds, uint[] counter, uint[] key, uint[] expected)
    {
        PhiloxBlock block = rounds == Philox4x32.Rounds
            ? Philox4x32.Compute(counter[0], counter[1], counter[2], counter[3], key[0], key[1])
            : Philox4x32.Compute(counter[0], counter[1], counter[2], counter[3], key[0], key[1], rounds);
        Assert.Equal(expected, new[] { block.X0, block.X1, block.X2, block.X3 });
    }

    [Fact]
    public void GenerateMapsSeedStreamAndCounterOntoKeyAndCounterWords()
    {
        PhiloxBlock viaGenerate = Philox4x32.Generate(seed: 0x299f31d0a4093822, stream: 0x0370734413198a2e, counter: 0x85a308d3243f6a88);
        Assert.Equal(new PhiloxBlock(0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u), viaGenerate);
    }

    [Fact]
    public void VectorGroupMatchesScalarBlocksIncludingCounterCarry()
    {
        foreach (ulong start in new ulong[] { 0, 12345, 0xffff_fffc, ulong.MaxValue - 3 })
        {
            PhiloxGroup.Generate(7, 9, start, out var x0, out var x1, out var x2, out var x3);
            for (int b = 0; b < PhiloxGroup.Blocks; b++)
            {
                PhiloxBlock expected = Philox4x32.Generate(7, 9, unchecked(start + (ulong)b));
                Assert.Equal(expected, new PhiloxBlock(x0[b], x1[b], x2[b], x3[b]));
            }
        }
    }

    [Fact]
    public void BlockIndexerReturnsTheWords()
    {
        var block = new PhiloxBlock(1, 2, 3, 4);
        Assert.Equal(new uint[] { 1, 2, 3, 4 }, new[] { block[0], block[1], block[2], block[3] });
        Assert.Throws<System.ArgumentOutOfRangeException>(() => block[4]);
    }
}
