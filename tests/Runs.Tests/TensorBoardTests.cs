using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Mtrl.Runs.Metrics;
using Mtrl.Runs.TensorBoard;
using Xunit;

namespace Mtrl.Runs.Tests;

public sealed class TensorBoardTests
{
    [Theory]
    // RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check value of CRC-32C.
    [InlineData("zeros", 0x8A9136AAu)]
    [InlineData("ones", 0x62A8AB43u)]
    [InlineData("ascending", 0x46DD794Eu)]
    [InlineData("descending", 0x113FDB5Cu)]
    [InlineData("123456789", 0xE3069283u)]
    public void Crc32CMatchesThePublishedTestVectors(string name, uint expected)
    {
        byte[] data = name switch
        {
            "zeros" => new byte[32],
            "ones" => Enumerable.Repeat((byte)0xFF, 32).ToArray(),
            "ascending" => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(),
            "descending" => Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(),
            _ => System.Text.Encoding.ASCII.GetBytes(name),
        };
        Assert.Equal(expected, MaskedCrc32C.Crc32C(data));
    }

    [Theory]
    // Masked values computed independently (bitwise CRC-32C, rotate right 15, add 0xa282ead8).
    [InlineData(0x8A9136AAu, 0x0FD7FFFAu)]
    [InlineData(0x62A8AB43u, 0xF909B029u)]
    [InlineData(0x46DD794Eu, 0x951F7892u)]
    [InlineData(0xE3069283u, 0xC78AB0E5u)]
    public void MaskRotatesAndOffsetsAndUnmaskUndoesIt(uint crc, uint masked)
    {
        Assert.Equal(masked, MaskedCrc32C.Mask(crc));
        Assert.Equal(crc, MaskedCrc32C.Unmask(masked));
        var random = new Random(5);
        for (var i = 0; i < 1000; i++)
        {
            var value = (uint)random.NextInt64(0, 1L << 32);
            Assert.NotEqual(value, MaskedCrc32C.Mask(value));
            Assert.Equal(value, MaskedCrc32C.Unmask(MaskedCrc32C.Mask(value)));
        }
    }

    [Fact]
    public void TheFileVersionRecordIsByteForByteTheHandBuiltOne()
    {
        // Event { wall_time: 1.5 (field 1, fixed64), file_version: "brain.Event:2" (field 3) } = 24 bytes,
        // framed as length (u64 LE), masked CRC of the length, data, masked CRC of the data.
        const string Expected = "1800000000000000" + "a37f4b22" + "09000000000000f83f" + "1a0d627261696e2e4576656e743a32" + "2a28646c";
        using var memory = new MemoryStream();
        using (var writer = new TfRecordWriter(memory)) writer.Write(EventEncoding.FileVersionEvent(1.5));
        Assert.Equal(Expected, Convert.ToHexStringLower(memory.ToArray()));
    }

    [Fact]
    public void EveryDamagedByteAndEveryTruncationIsDetected()
    {
        using var memory = new MemoryStream();
        using (var writer = new TfRecordWriter(new NonClosingStream(memory)))
        {
            writer.Write(EventEncoding.FileVersionEvent(1.5));
            writer.Write(EventEncoding.ScalarsEvent(2.0, 7, new[] { new KeyValuePair<string, float>("eval/success_avg", 0.5f) }));
        }
        var bytes = memory.ToArray();
        Assert.Equal(2, TfRecordReader.Read(bytes).Count);
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.Throws<InvalidDataException>(() => TfRecordReader.Read(damaged));
        }
        for (var length = 1; length < bytes.Length; length++)
        {
            if (length == 40) continue; // the end of the first record: a valid one-record file
            Assert.Throws<InvalidDataException>(() => TfRecordReader.Read(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void TheWriterLogsEveryFiniteMetricAtItsStepWithTaskTags()
    {
        var directory = TempDirectory.Create();
        var records = new[]
        {
            new MetricRecord(MetricKinds.Eval, 5_000, 1.0, 3, new Metric[] { new("success", 0.75), new("return", -4.25), new("return_std", double.NaN) }),
            new MetricRecord(MetricKinds.Eval, 5_000, 1.0, null, new Metric[] { new("success_avg", 0.5) }),
            new MetricRecord(MetricKinds.Train, 6_000, 2.0, null, new Metric[] { new("loss", 0.125) }),
        };
        string path;
        using (var writer = new TensorBoardWriter(directory, () => 1_700_000_000.25))
        {
            path = writer.Path;
            writer.Write(records);
        }

        Assert.StartsWith("events.out.tfevents.1700000000.", Path.GetFileName(path));
        var events = TfRecordReader.Read(File.ReadAllBytes(path)).Select(EventDecoder.Decode).ToList();
        Assert.Equal(EventEncoding.FileVersion, events[0].FileVersion);
        Assert.Equal(1_700_000_000.25, events[0].WallTime);
        Assert.Equal(3, events.Count - 1);
        Assert.Equal(new long[] { 5_000, 5_000, 6_000 }, events.Skip(1).Select(e => e.Step));
        Assert.Equal(new[] { ("eval/success/task_03", 0.75f), ("eval/return/task_03", -4.25f) }, events[1].Values);
        Assert.Equal(new[] { ("eval/success_avg", 0.5f) }, events[2].Values);
        Assert.Equal(new[] { ("train/loss", 0.125f) }, events[3].Values);
    }

    /// <summary>A decoder written from event.proto and summary.proto, independent of the encoder.</summary>
    private static class EventDecoder
    {
        public sealed record Event(double WallTime, long Step, string? FileVersion, List<(string Tag, float Value)> Values);

        public static Event Decode(byte[] data)
        {
            var input = new CodedInputStream(data);
            double wallTime = 0;
            long step = 0;
            string? version = null;
            var values = new List<(string, float)>();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: wallTime = input.ReadDouble(); break;
                    case 2: step = input.ReadInt64(); break;
                    case 3: version = input.ReadString(); break;
                    case 5: values.AddRange(Summary(input.ReadBytes())); break;
                    default: input.SkipLastField(); break;
                }
            }
            return new Event(wallTime, step, version, values);
        }

        private static IEnumerable<(string, float)> Summary(ByteString bytes)
        {
            var input = bytes.CreateCodedInput();
            var result = new List<(string, float)>();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) != 1) { input.SkipLastField(); continue; }
                var value = input.ReadBytes().CreateCodedInput();
                string name = "";
                float number = float.NaN;
                uint inner;
                while ((inner = value.ReadTag()) != 0)
                {
                    switch (WireFormat.GetTagFieldNumber(inner))
                    {
                        case 1: name = value.ReadString(); break;
                        case 2: number = value.ReadFloat(); break;
                        default: value.SkipLastField(); break;
                    }
                }
                result.Add((name, number));
            }
            return result;
        }
    }

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
