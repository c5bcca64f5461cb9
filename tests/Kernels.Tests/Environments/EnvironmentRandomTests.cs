using System.Collections.Generic;
using Mtrl.Kernels.Environments;
using Xunit;

namespace Mtrl.Kernels.Tests.Environments;

public sealed class EnvironmentRandomTests
{
    [Fact]
    public void ABlockIsPhiloxWithTheEnvironmentAsStreamAndEpisodeAndDrawAsCounter()
    {
        Assert.Equal(Philox4x32.Generate(7, 3, (5UL << 32) | 2), EnvironmentRandom.Block(7, 3, 5, 2));
        Assert.Equal(Philox4x32.Generate(ulong.MaxValue, 0, 0), EnvironmentRandom.Block(ulong.MaxValue, 0, 0, 0));
    }

    [Fact]
    public void EnvironmentsEpisodesAndDrawsGetDistinctBlocks()
    {
        var seen = new HashSet<PhiloxBlock>();
        for (int env = 0; env < 20; env++)
        {
            for (uint episode = 0; episode < 20; episode++)
            {
                for (uint draw = 0; draw < 3; draw++)
                {
                    Assert.True(seen.Add(EnvironmentRandom.Block(1, env, episode, draw)));
                }
            }
        }
    }

    [Fact]
    public void UniformCoversItsRangeAndADegenerateRangeIsExact()
    {
        Assert.Equal(-0.05f, EnvironmentRandom.Uniform(0, -0.05f, 0.05f));
        Assert.True(EnvironmentRandom.Uniform(uint.MaxValue, -0.05f, 0.05f) < 0.05f);
        Assert.Equal(0.1f, EnvironmentRandom.Uniform(0xDEADBEEF, 0.1f, 0.1f));
        Assert.Equal(0.1f, UniformRange.Fixed(0.1f).Sample(12345));
        Assert.True(UniformRange.Fixed(2f).IsFixed);
        Assert.False(new UniformRange(1f, 2f).IsFixed);
    }
}
