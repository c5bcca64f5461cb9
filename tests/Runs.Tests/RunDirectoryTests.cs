using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Runs.Tests;

public sealed class RunDirectoryTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 3, 12, 30, 5, TimeSpan.Zero);

    private static RunManifest Manifest() => new(
        "mtrl 0.1.0", "examples/specs/mt_mh_sac.mtrl", "MultiHeadSac", "sac", "pointmass", 10, 7,
        JsonSerializer.SerializeToElement(new { gamma = 0.99, batch_size = 128, her = (string?)null }),
        new RunSchedule(60_000, 3_000, 6_000, 10, 20_000, 3),
        new Dictionary<string, string> { ["--cartpole-force"] = "5:15" }, MachineFacts.Current(), Started, new[] { "train", "x.mtrl", "--env", "pointmass" });

    [Fact]
    public void ARunDirectoryHoldsTheSpecAndAManifestThatReadsBack()
    {
        var root = TempDirectory.Create();
        var run = RunDirectory.Create(root, "mt_mh_sac-20261203-123005", "agent A { }\n", Manifest());

        Assert.Equal(Path.Combine(root, "mt_mh_sac-20261203-123005"), run.Path);
        Assert.Equal("agent A { }\n", File.ReadAllText(run.SpecFile));
        var read = RunDirectory.Open(run.Path).ReadManifest();
        var written = Manifest();
        Assert.Equal(written with { Settings = default, CommandLine = Array.Empty<string>(), EnvironmentOptions = null! }, read with { Settings = default, CommandLine = Array.Empty<string>(), EnvironmentOptions = null! });
        Assert.Equal(written.EnvironmentOptions, read.EnvironmentOptions);
        Assert.Equal(written.CommandLine, read.CommandLine);
        Assert.Equal(0.99, read.Settings.GetProperty("gamma").GetDouble());
        Assert.Equal(JsonValueKind.Null, read.Settings.GetProperty("her").ValueKind);
        Assert.Contains("\"environments\": 10", File.ReadAllText(run.ManifestFile));
        Assert.Empty(Directory.EnumerateFiles(run.Path, "*.tmp-*"));
    }

    [Fact]
    public void RunsStartedInTheSameSecondGetTheirOwnDirectories()
    {
        var root = TempDirectory.Create();
        var first = RunDirectory.Create(root, "spec", "", Manifest());
        var second = RunDirectory.Create(root, "spec", "", Manifest());
        var third = RunDirectory.Create(root, "spec", "", Manifest());

        Assert.Equal(first.Path + "-2", second.Path);
        Assert.Equal(first.Path + "-3", third.Path);
    }

    [Fact]
    public void OnlyTheNewestCheckpointsAreKept()
    {
        var run = RunDirectory.Create(TempDirectory.Create(), "spec", "", Manifest());
        var checkpoint = new Checkpoint(99).With("transitions", 0);
        Assert.Null(run.LatestCheckpoint());

        foreach (var transitions in new long[] { 1_000, 2_000, 10_000, 30_000 }) run.SaveCheckpoint(checkpoint, transitions, keep: 2);

        Assert.Equal(new long[] { 10_000, 30_000 }, run.Checkpoints().Select(c => c.Transitions));
        Assert.Equal(30_000, run.LatestCheckpoint()!.Value.Transitions);
        Assert.EndsWith("transitions-000000030000.ckpt", run.LatestCheckpoint()!.Value.Path);
        Assert.Equal(99UL, CheckpointFile.Load(run.LatestCheckpoint()!.Value.Path).LayoutHash);
        Assert.Equal(2, Directory.EnumerateFiles(run.CheckpointDirectory).Count());
    }

    [Fact]
    public void WhatIsNotARunDirectoryIsRefusedSayingWhy()
    {
        var root = TempDirectory.Create();
        Assert.Contains("does not exist", Assert.Throws<RunDirectoryException>(() => RunDirectory.Open(Path.Combine(root, "nope"))).Message);
        Assert.Contains("has no run.json", Assert.Throws<RunDirectoryException>(() => RunDirectory.Open(root)).Message);

        var run = RunDirectory.Create(root, "spec", "", Manifest());
        File.WriteAllText(run.ManifestFile, "{\"tool\": ");
        var error = Assert.Throws<RunDirectoryException>(() => RunDirectory.Open(run.Path).ReadManifest());
        Assert.StartsWith(run.ManifestFile + ": not a readable run manifest", error.Message);
    }

    [Fact]
    public void ARootThatCannotHoldDirectoriesIsReported()
    {
        var file = Path.Combine(TempDirectory.Create(), "file");
        File.WriteAllText(file, "");
        var error = Assert.Throws<RunDirectoryException>(() => RunDirectory.Create(file, "spec", "", Manifest()));
        Assert.Contains($"under '{file}'", error.Message);
    }
}
