using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Mtrl.Runs;

/// <summary>
/// Everything needed to know what a run was and to repeat it (<c>run.json</c>): the spec and agent,
/// the environment, every training setting actually used (after command-line overrides), the
/// seed, the tool version and the machine.
/// </summary>
/// <param name="Tool">Tool and version, e.g. <c>mtrl 0.1.0+abc</c>.</param>
/// <param name="Spec">The spec file as given on the command line (a copy is <c>spec.mtrl</c> in the run directory).</param>
/// <param name="Agent">The agent of the spec that trained.</param>
/// <param name="Algorithm">dqn, sac or td3.</param>
/// <param name="Environment">The environment name and its settings as given.</param>
/// <param name="Environments">Environments stepped together.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Settings">The training options actually used, as JSON (every field, defaults filled).</param>
/// <param name="Run">How the run reports: evaluation and checkpoint schedules.</param>
/// <param name="EnvironmentOptions">The environment's options as given on the command line (e.g. CartPole's physics ranges).</param>
/// <param name="Machine">The machine.</param>
/// <param name="Started">When the run started.</param>
/// <param name="CommandLine">The arguments the run was started with.</param>
public sealed record RunManifest(
    string Tool,
    string Spec,
    string Agent,
    string Algorithm,
    string Environment,
    int Environments,
    ulong Seed,
    JsonElement Settings,
    RunSchedule Run,
    IReadOnlyDictionary<string, string> EnvironmentOptions,
    MachineFacts Machine,
    DateTimeOffset Started,
    IReadOnlyList<string> CommandLine);

/// <summary>How often a run evaluates, logs and checkpoints, in transitions.</summary>
/// <param name="Steps">Transitions to train for.</param>
/// <param name="LogEvery">Transitions between training log points.</param>
/// <param name="EvalEvery">Transitions between greedy evaluations (0: only at the end).</param>
/// <param name="EvalEpisodes">Episodes per task in each evaluation.</param>
/// <param name="CheckpointEvery">Transitions between checkpoints (0: only at the end).</param>
/// <param name="KeepCheckpoints">How many of the latest checkpoints are kept.</param>
public sealed record RunSchedule(long Steps, long LogEvery, long EvalEvery, int EvalEpisodes, long CheckpointEvery, int KeepCheckpoints);
