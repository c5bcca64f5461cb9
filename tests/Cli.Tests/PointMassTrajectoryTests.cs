using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Mtrl.Dsl;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// The PointMass trajectory the PyTorch peer of the SAC whole-run benchmark replays to prove its
/// numpy port of our environment exact (<c>torch_mtsac_run.py --check-env</c>): our
/// <c>--env pointmass</c>, built for the benchmark spec as <c>mtrl bench</c> builds it, stepped with
/// fixed actions, must write exactly the checked-in tests/Benchmarks/peers/pointmass_trajectory.json.
/// After an intended change to PointMass, run with MTRL_UPDATE_SNAPSHOTS=1, review the diff and
/// rerun the peer's check.
/// </summary>
public sealed class PointMassTrajectoryTests
{
    private const ulong Seed = 7;
    private const int Environments = 12; // more than the 10 tasks: environments 10 and 11 rerun tasks 0 and 1 on their own streams
    private const int Steps = 110;       // past the 100-step time limit
    private const int Width = 6;

    private static string RepositoryPath(string relative, [CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", relative));

    [Fact]
    public void OurPointMassWritesTheCheckedInTrajectoryThatThePeerReplays()
    {
        var spec = RepositoryPath("tests/Benchmarks/Runtime/mt_sac_pointmass_run.mtrl");
        var compiled = SpecCompiler.Compile(spec, File.ReadAllText(spec));
        Assert.False(compiled.HasErrors, string.Join("\n", compiled.Diagnostics));
        var environment = TrainingEnvironments.Create("pointmass", Assert.Single(compiled.Model.Agents), Environments,
            CartPoleSettings.None, CpuAccelerator.Sequential, out var problem) as IContinuousVectorEnvironment;
        Assert.True(environment is not null, problem);
        Assert.Equal(Width, environment.ObservationSize);

        var (json, terminations, truncations, wallContacts, clampedActions) = Record(environment);

        // The trajectory exercises every rule the peer ports: success, the time limit, walls, clamping.
        Assert.True(terminations >= 3, $"only {terminations} terminations");
        Assert.True(truncations >= 3, $"only {truncations} truncations");
        Assert.True(wallContacts >= 3, $"only {wallContacts} wall contacts");
        Assert.True(clampedActions >= 3, $"only {clampedActions} action components outside [-1, 1]");

        var fixture = RepositoryPath("tests/Benchmarks/peers/pointmass_trajectory.json");
        if (Environment.GetEnvironmentVariable("MTRL_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(fixture, json);
            return;
        }
        Assert.True(File.Exists(fixture), $"no {fixture}; run the test with MTRL_UPDATE_SNAPSHOTS=1");
        var expected = File.ReadAllText(fixture).Replace("\r\n", "\n").Split('\n');
        var actual = json.Split('\n');
        var first = Enumerable.Range(0, Math.Min(expected.Length, actual.Length)).FirstOrDefault(i => expected[i] != actual[i], -1);
        Assert.True(first < 0 && expected.Length == actual.Length,
            $"PointMass no longer writes {Path.GetFileName(fixture)} (first difference at line {(first < 0 ? Math.Min(expected.Length, actual.Length) : first) + 1}). " +
            "If the change is intended, run with MTRL_UPDATE_SNAPSHOTS=1, then rerun `/usr/bin/python3 tests/Benchmarks/peers/torch_mtsac_run.py --check-env` on it.");
    }

    [Fact]
    public void TheCheckedInTrajectoryIsValidJsonHoldingEveryStep()
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryPath("tests/Benchmarks/peers/pointmass_trajectory.json")));
        var root = document.RootElement;
        Assert.Equal(Environments, root.GetProperty("environments").GetInt32());
        Assert.Equal(Steps, root.GetProperty("steps").GetArrayLength());
        Assert.Equal(Environments * Width, root.GetProperty("steps")[0].GetProperty("observations").GetArrayLength());
    }

    /// <summary>
    /// Steps the environments with actions on a 1/1024 grid (exact in JSON and float32): every third
    /// environment steers to its goal with a PD law (components up to ±1.25, so clamping matters),
    /// the next uniform noise in [−1.5, 1.5], the next pushes into a wall.
    /// </summary>
    private static (string Json, int Terminations, int Truncations, int WallContacts, int ClampedActions) Record(IContinuousVectorEnvironment environment)
    {
        var random = new Random(11);
        var buffers = environment.Buffers;
        var json = new StringBuilder();
        json.Append("{\n\"source\": \"tests/Cli.Tests/PointMassTrajectoryTests.cs: mtrl's --env pointmass for tests/Benchmarks/Runtime/mt_sac_pointmass_run.mtrl\",\n");
        json.Append(CultureInfo.InvariantCulture, $"\"seed\": {Seed},\n\"environments\": {Environments},\n\"observation_width\": {Width},\n\"max_episode_steps\": 100,\n");
        json.Append("\"task_ids\": [").AppendJoin(", ", buffers.TaskIds).Append("],\n");
        environment.Reset(Seed);
        json.Append("\"reset_observations\": ");
        Floats(json, buffers.Observations);
        json.Append(",\n\"steps\": [\n");
        int terminations = 0, truncations = 0, wallContacts = 0, clamped = 0;
        var actions = new float[2 * Environments];
        for (var step = 0; step < Steps; step++)
        {
            for (var i = 0; i < Environments; i++)
            {
                var obs = buffers.Observations.AsSpan(i * Width, Width);
                for (var d = 0; d < 2; d++)
                {
                    double a = (i % 3) switch
                    {
                        0 => Math.Clamp(4.0 * (obs[4 + d] - obs[d]) - 1.5 * obs[2 + d], -1.25, 1.25),
                        1 => random.NextDouble() * 3.0 - 1.5,
                        _ => d == 0 ? (i % 2 == 0 ? 1.5 : -1.5) : random.NextDouble() - 0.5,
                    };
                    actions[2 * i + d] = MathF.Round((float)a * 1024f) / 1024f;
                    if (Math.Abs(actions[2 * i + d]) > 1f) clamped++;
                }
            }
            environment.Step(actions);
            json.Append("{\"actions\": ");
            Floats(json, actions);
            json.Append(", \"observations\": ");
            Floats(json, buffers.Observations);
            json.Append(", \"rewards\": ");
            Floats(json, buffers.Rewards);
            json.Append(", \"terminated\": [").AppendJoin(", ", buffers.Terminated.Select(t => t ? 1 : 0));
            json.Append("], \"truncated\": [").AppendJoin(", ", buffers.Truncated.Select(t => t ? 1 : 0));
            json.Append("], \"final_observations\": [");
            var finals = new List<string>();
            for (var i = 0; i < Environments; i++)
            {
                if (!buffers.Finished[i]) continue;
                var row = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[{i}, ");
                AppendJoinFloats(row, buffers.FinalObservations.AsSpan(i * Width, Width));
                finals.Add(row.Append(']').ToString());
            }
            json.AppendJoin(", ", finals).Append(step == Steps - 1 ? "]}\n" : "]},\n");
            terminations += buffers.Terminated.Count(t => t);
            truncations += buffers.Truncated.Count(t => t);
            for (var i = 0; i < Environments; i++)
            {
                if (Math.Abs(buffers.Observations[i * Width]) == 1f || Math.Abs(buffers.Observations[i * Width + 1]) == 1f) wallContacts++;
            }
        }
        json.Append("]\n}\n");
        return (json.ToString(), terminations, truncations, wallContacts, clamped);
    }

    private static void Floats(StringBuilder json, ReadOnlySpan<float> values)
    {
        json.Append('[');
        AppendJoinFloats(json, values);
        json.Append(']');
    }

    /// <summary>Shortest round-trip form of each float, so the peer reads back the very float32 values.</summary>
    private static void AppendJoinFloats(StringBuilder json, ReadOnlySpan<float> values)
    {
        for (var k = 0; k < values.Length; k++)
        {
            if (k > 0) json.Append(", ");
            json.Append(values[k].ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
