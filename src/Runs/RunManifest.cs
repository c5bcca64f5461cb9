using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

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
/// <param name="FineTune">Where the run started from and what it froze, when it was started with
/// <c>--init-from</c> or freezes anything (absent from the file otherwise, and in runs of earlier versions).</param>
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
    IReadOnlyList<string> CommandLine,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FineTuneRecord? FineTune = null);

/// <summary>
/// A fine-tuning run's starting point (<c>run.json</c>'s <c>fine_tune</c>): the checkpoint whose
/// parameters it started from, what of them it took, and which slices it kept frozen.
/// </summary>
/// <param name="InitFrom">The checkpoint file (full path) the parameters came from; null when the run started from its own initialisation and only freezes.</param>
/// <param name="InitFromRun">The run directory that checkpoint belongs to, when it is in one.</param>
/// <param name="InitTransitions">Transitions the checkpoint's run had trained when it was saved, when it records them.</param>
/// <param name="SameLayout">The checkpoint was saved for exactly this agent's layout (every slice loaded).</param>
/// <param name="LoadedSlices">How many of the agent's slices were loaded.</param>
/// <param name="SkippedSlices">The agent's slices left as initialised, each "name (reason)".</param>
/// <param name="Freeze">The slice-name prefixes frozen: the spec's <c>freeze</c> and <c>--freeze</c> together, resolved.</param>
/// <param name="FreezeOption">The names given with <c>--freeze</c>, as written.</param>
public sealed record FineTuneRecord(
    string? InitFrom,
    string? InitFromRun,
    long? InitTransitions,
    bool SameLayout,
    int LoadedSlices,
    IReadOnlyList<string> SkippedSlices,
    IReadOnlyList<string> Freeze,
    IReadOnlyList<string> FreezeOption);

/// <summary>How often a run evaluates, logs and checkpoints, in transitions.</summary>
/// <param name="Steps">Transitions to train for.</param>
/// <param name="LogEvery">Transitions between training log points.</param>
/// <param name="EvalEvery">Transitions between greedy evaluations (0: only at the end).</param>
/// <param name="EvalEpisodes">Episodes per task in each evaluation.</param>
/// <param name="CheckpointEvery">Transitions between checkpoints (0: only at the end).</param>
/// <param name="KeepCheckpoints">How many of the latest checkpoints are kept.</param>
public sealed record RunSchedule(long Steps, long LogEvery, long EvalEvery, int EvalEpisodes, long CheckpointEvery, int KeepCheckpoints);
