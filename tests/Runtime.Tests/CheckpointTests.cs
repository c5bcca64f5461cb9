using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-ckpt-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>A small trainer whose whole state (parameters, Adam, data counter) can be checkpointed.</summary>
    private sealed class Trainer
    {
        public Trainer()
        {
            var builder = new ParameterLayoutBuilder();
            var chain = new SequentialBuilder(builder, "net", 6).Mlp(new[] { 16 }).Linear(2);
            Store = new ParameterStore(builder.Build());
            Store.Initialize(42);
            Network = chain.Bind(Store, 8);
            Adam = new Adam(Store, new AdamOptions(LearningRate: 1e-2f));
        }

        public ParameterStore Store { get; }
        public Sequential Network { get; }
        public Adam Adam { get; }
        public long DataCounter { get; set; }

        public void Steps(int count)
        {
            var x = new float[8 * 6];
            var target = new float[8 * 2];
            var gradient = new float[8 * 2];
            for (var i = 0; i < count; i++)
            {
                PhiloxFill.Normal(x, 9, 0, (ulong)DataCounter);
                PhiloxFill.Normal(target, 9, 1, (ulong)DataCounter);
                DataCounter += (long)PhiloxFill.CountersForFloats(x.Length);
                Store.ZeroGradients();
                var y = Network.Forward(x, 8);
                Losses.Loss.MeanSquaredError(y, target, gradient, y.Length);
                Network.Backward(gradient);
                Adam.Step();
            }
        }

        public Checkpoint Capture() => Checkpoint.Of(Store).With(Adam).With("data", DataCounter);

        public void Restore(Checkpoint checkpoint)
        {
            checkpoint.RestoreTo(Store);
            checkpoint.RestoreTo(Adam);
            DataCounter = checkpoint.Counter("data");
        }
    }

    [Fact]
    public void RoundTripIsBitExactAndResumedTrainingContinuesBitIdentically()
    {
        var straight = new Trainer();
        straight.Steps(10);

        var first = new Trainer();
        first.Steps(5);
        var path = PathOf("agent.ckpt");
        CheckpointFile.Save(path, first.Capture());

        var loaded = CheckpointFile.Load(path);
        Assert.Equal(first.Store.Values, loaded.Arrays["parameters"]);
        Assert.Equal(first.Adam.FirstMoment, loaded.Arrays["adam.m"]);
        Assert.Equal(5, loaded.Counter("adam.steps"));

        var resumed = new Trainer();
        resumed.Restore(loaded);
        resumed.Steps(5);
        Assert.Equal(straight.Store.Values, resumed.Store.Values);
        Assert.Equal(straight.Adam.SecondMoment, resumed.Adam.SecondMoment);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp-*"));
    }

    [Fact]
    public void SavingOverwritesAtomically()
    {
        var trainer = new Trainer();
        var path = PathOf("a.ckpt");
        CheckpointFile.Save(path, trainer.Capture());
        trainer.Steps(1);
        CheckpointFile.Save(path, trainer.Capture());
        Assert.Equal(trainer.Store.Values, CheckpointFile.Load(path).Arrays["parameters"]);
        Assert.Single(Directory.GetFiles(_directory));
    }

    private string Saved()
    {
        var path = PathOf("c.ckpt");
        CheckpointFile.Save(path, new Trainer().Capture());
        return path;
    }

    [Fact]
    public void FlippedByteIsReportedAsCorrupt()
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Contains("checksum mismatch", error.Message);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.3)]
    [InlineData(0.001)]
    public void TruncatedFileIsReported(double keep)
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.Take(Math.Max(9, (int)(bytes.Length * keep))).ToArray());
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.True(error.Message.Contains("truncated") || error.Message.Contains("corrupt"), error.Message);
    }

    [Fact]
    public void WrongMagicNewerVersionAndMissingFileAreReported()
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        var other = (byte[])bytes.Clone();
        other[0] = (byte)'X';
        File.WriteAllBytes(path, other);
        Assert.Contains("not an Mtrl checkpoint", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);

        other = (byte[])bytes.Clone();
        other[8] = (byte)(CheckpointFile.Version + 1);
        File.WriteAllBytes(path, other);
        Assert.Contains($"format version {CheckpointFile.Version + 1}", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);

        Assert.Contains("cannot read", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(PathOf("missing.ckpt"))).Message);
    }

    [Fact]
    public void MismatchedLayoutIsRefusedWithBothHashes()
    {
        var path = Saved();
        var builder = new ParameterLayoutBuilder();
        builder.Add("different", ParameterOwner.Shared, 2, 2, Initializer.Zeros);
        var store = new ParameterStore(builder.Build());
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path).RestoreTo(store));
        Assert.Contains("different parameter layout", error.Message);
        Assert.Contains(store.Layout.Hash.ToString("x16"), error.Message);
    }
}
