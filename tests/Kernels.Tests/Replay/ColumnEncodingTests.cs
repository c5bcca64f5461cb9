using System;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class ColumnEncodingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(40)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(129)]
    public void BitRowsRoundTripAndFollowTheDocumentedLayout(int width)
    {
        const int Rows = 37;
        var random = new Random(width);
        float[] values = RandomValues(random, Rows * width, maximum: 1);
        int rowBytes = ColumnEncoding.RowBytes(ColumnElementType.Bit, width);
        Assert.Equal((width + 7) / 8, rowBytes);
        byte[] packed = new byte[Rows * rowBytes];
        packed.AsSpan().Fill(0xA5); // stale bytes must not survive the encoding
        ColumnEncoding.Encode(ColumnElementType.Bit, values, width, packed);

        // Layout: element j of row r is bit j mod 8 of byte r·rowBytes + j / 8; unused bits are 0.
        for (int r = 0; r < Rows; r++)
        {
            for (int bit = 0; bit < rowBytes * 8; bit++)
            {
                int expected = bit < width ? (int)values[(r * width) + bit] : 0;
                Assert.Equal(expected, (packed[(r * rowBytes) + (bit / 8)] >> (bit % 8)) & 1);
            }
        }

        float[] decoded = new float[Rows * width];
        decoded.AsSpan().Fill(float.NaN);
        ColumnEncoding.Decode(ColumnElementType.Bit, packed, width, decoded);
        Assert.Equal(values, decoded);

        // Single rows, including the column's last, where a word load would run past the end.
        float[] row = new float[width + 3];
        foreach (int r in new[] { 0, 1, Rows / 2, Rows - 2, Rows - 1 })
        {
            row.AsSpan().Fill(float.NaN);
            ColumnEncoding.DecodeRow(ColumnElementType.Bit, packed, r, width, row);
            Assert.Equal(values.AsSpan(r * width, width).ToArray(), row.AsSpan(0, width).ToArray());
            Assert.True(float.IsNaN(row[width]), "DecodeRow wrote past the row");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(40)]
    [InlineData(129)]
    public void ByteRowsRoundTrip(int width)
    {
        const int Rows = 23;
        float[] values = RandomValues(new Random(width), Rows * width, maximum: 255);
        values[0] = 255;
        values[^1] = 0;
        byte[] encoded = new byte[Rows * width];
        ColumnEncoding.Encode(ColumnElementType.UInt8, values, width, encoded);
        float[] decoded = new float[Rows * width];
        decoded.AsSpan().Fill(float.NaN);
        ColumnEncoding.Decode(ColumnElementType.UInt8, encoded, width, decoded);
        Assert.Equal(values, decoded);
        float[] row = new float[width + 1];
        row[width] = float.NaN;
        ColumnEncoding.DecodeRow(ColumnElementType.UInt8, encoded, Rows - 1, width, row);
        Assert.Equal(values.AsSpan((Rows - 1) * width, width).ToArray(), row.AsSpan(0, width).ToArray());
        Assert.True(float.IsNaN(row[width]));
    }

    [Theory]
    [InlineData(ColumnElementType.Bit, 0.5f)]
    [InlineData(ColumnElementType.Bit, 2f)]
    [InlineData(ColumnElementType.Bit, -1f)]
    [InlineData(ColumnElementType.Bit, float.NaN)]
    [InlineData(ColumnElementType.UInt8, 256f)]
    [InlineData(ColumnElementType.UInt8, 1.5f)]
    [InlineData(ColumnElementType.UInt8, -1f)]
    [InlineData(ColumnElementType.UInt8, float.PositiveInfinity)]
    public void ValuesATypeCannotHoldAreRefusedBeforeAnythingIsWritten(ColumnElementType type, float bad)
    {
        float[] values = [1, 0, 1, bad, 0, 1];
        Assert.Equal(3, ColumnEncoding.IndexOfUnstorable(type, values));
        byte[] destination = new byte[6];
        destination.AsSpan().Fill(7);
        var error = Assert.Throws<ArgumentException>(() => ColumnEncoding.Encode(type, values, 3, destination));
        Assert.Equal("values", error.ParamName);
        Assert.Contains("values[3]", error.Message);
        Assert.Contains(ColumnEncoding.AllowedValues(type), error.Message);
        Assert.All(destination, b => Assert.Equal(7, b));
        Assert.Equal(-1, ColumnEncoding.IndexOfUnstorable(ColumnElementType.Float32, values));
    }

    [Fact]
    public void NegativeZeroIsStoredAsZero()
    {
        byte[] packed = new byte[1];
        ColumnEncoding.Encode(ColumnElementType.Bit, [-0f, 1f], 2, packed);
        Assert.Equal(2, packed[0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(40)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(129)]
    public void RewardOnPackedGoalsEqualsTheFloatReference(int width)
    {
        const int Rows = 300;
        var random = new Random(1000 + width);
        float[] achieved = RandomValues(random, Rows * width, maximum: 1);
        float[] desired = (float[])achieved.Clone();
        for (int r = 0; r < Rows; r++)
        {
            // 0 to 4 differing bits, so every threshold below sees both outcomes.
            for (int flips = random.Next(5); flips > 0; flips--)
            {
                int j = (r * width) + random.Next(width);
                desired[j] = 1f - desired[j];
            }
        }

        int rowBytes = ColumnEncoding.RowBytes(ColumnElementType.Bit, width);
        byte[] packedAchieved = new byte[Rows * rowBytes];
        byte[] packedDesired = new byte[Rows * rowBytes];
        ColumnEncoding.Encode(ColumnElementType.Bit, achieved, width, packedAchieved);
        ColumnEncoding.Encode(ColumnElementType.Bit, desired, width, packedDesired);
        foreach (float threshold in new[] { 0f, 0.5f, 1f, 1.4142135f, 1.5f, 2f, 10f })
        {
            foreach (bool terminate in new[] { true, false })
            {
                var reward = new ThresholdGoalReward(threshold, terminate);
                float[] expectedRewards = new float[Rows];
                float[] expectedTerminated = new float[Rows];
                expectedTerminated.AsSpan().Fill(9f);
                reward.Compute(achieved, desired, width, expectedRewards, expectedTerminated);
                float[] rewards = new float[Rows];
                float[] terminated = new float[Rows];
                rewards.AsSpan().Fill(float.NaN);
                terminated.AsSpan().Fill(9f);
                reward.ComputePacked(packedAchieved, packedDesired, width, rewards, terminated);
                Assert.Equal(expectedRewards, rewards);
                Assert.Equal(expectedTerminated, terminated);
                Assert.Contains(0f, rewards);
                if (threshold == 0f)
                {
                    Assert.Contains(-1f, rewards);
                }
            }
        }
    }

    [Fact]
    public void PackedRewardChecksItsSpans()
    {
        var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
        Assert.Throws<ArgumentException>(() => reward.ComputePacked(new byte[5], new byte[4], 40, new float[1], new float[1]));
        Assert.Throws<ArgumentException>(() => reward.ComputePacked(new byte[10], new byte[10], 40, new float[2], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => reward.ComputePacked(new byte[1], new byte[1], 0, new float[1], new float[1]));
    }

    private static float[] RandomValues(Random random, int count, int maximum)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.Next(maximum + 1);
        }

        return values;
    }
}
