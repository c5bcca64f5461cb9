using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Mtrl.Cli.InProcess;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Mtrl.Kernels;
using Mtrl.Runs;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>
/// A distillation's teachers (<c>--teacher</c>): each a trained agent's Q network from a run
/// directory (its newest checkpoint) or a checkpoint file inside one, rebuilt from the run's spec
/// copy and manifest and never updated. A teacher that learned one task answers as task 0 for
/// whichever task it teaches. For Actor-Mimic's feature regression a teacher also brings its
/// identity features (<c>out features = features(h)</c>) over the same restored parameters.
/// </summary>
internal static class TeacherLoader
{
    /// <summary>
    /// The teacher at <paramref name="target"/> for the student's <paramref name="taughtTasks"/>, the
    /// checkpoint file it came from and, when <paramref name="featureWidth"/> is given (the student
    /// regresses features, Actor-Mimic), its identity features h_E of that width over the same
    /// parameters; or null after one line on <paramref name="error"/>. A teacher trained with a
    /// sequential schedule gets the structure its checkpoint's stage left (progressive columns, frozen
    /// PathNet pathways) and teaches only the tasks whose stages finished.
    /// </summary>
    public static (IQNetwork Network, string Checkpoint, IFeatureNetwork? Features)? Load(string target, IReadOnlyList<int> taughtTasks, int maxBatch, TextWriter output, TextWriter error, int? featureWidth = null)
    {
        try
        {
            if (RunDirectory.LocateCheckpoint(target) is not var (located, found))
            {
                error.WriteLine($"mtrl: error: --teacher must name a run directory or a checkpoint file in one; '{target}' is neither");
                return null;
            }
            var run = found ?? throw new RunDirectoryException($"{target} is not inside a run directory, whose spec copy says what network it holds; give the run directory or a checkpoint in its checkpoints/ folder");
            var checkpointPath = Path.GetFullPath(located);

            var manifest = run.ReadManifest();
            var text = File.ReadAllText(run.SpecFile);
            var loaded = AgentAssemblyCache.Default().Load(run.SpecFile, text);
            var type = loaded.Assembly?.GetType($"{AgentCompiler.DefaultNamespace}.{manifest.Agent}");
            if (type is null)
            {
                error.WriteLine($"mtrl: error: --teacher {target}: the run's spec copy no longer builds agent '{manifest.Agent}'");
                return null;
            }
            var sequential = type.GetNestedType("Training")?.GetField("Schedule")?.GetValue(null) is "sequential";
            if (sequential && manifest.EnvironmentOptions.ContainsKey(TrainCommand.ScratchOrderKey))
            {
                error.WriteLine($"mtrl: error: --teacher {target}: run {run.Path} is a from-scratch baseline of mtrl transfer (one task of a reordered schedule, its network's task 0); give the sequential run it was compared with, or a run trained on that task alone (--task)");
                return null;
            }
            var candidates = type.GetNestedTypes().Where(t => typeof(IQNetwork).IsAssignableFrom(t) && t.GetConstructor(new[] { typeof(ParameterStore), typeof(int) }) is not null).ToList();
            if (candidates.Count != 1)
            {
                error.WriteLine($"mtrl: error: --teacher {target}: a teacher is an agent with one q_values network (a dqn agent); '{manifest.Agent}' has {candidates.Count} networks that read rows into action values");
                return null;
            }
            var networkType = candidates[0];
            Type? featureType = null;
            if (featureWidth is { } width)
            {
                if (IdentityFeatures(target, run.SpecFile, text, manifest.Agent, networkType.Name, width, error) is not { } featureClass) return null;
                featureType = type.GetNestedType(featureClass);
                if (featureType is null || !typeof(IFeatureNetwork).IsAssignableFrom(featureType))
                {
                    error.WriteLine($"mtrl: error: --teacher {target}: the code generated for agent '{manifest.Agent}' has no features class {featureClass}");
                    return null;
                }
            }
            var tasks = (int)type.GetField("Tasks")!.GetValue(null)!;
            if (tasks > 1 && taughtTasks.FirstOrDefault(t => t >= tasks, -1) is var beyond and >= 0)
            {
                error.WriteLine($"mtrl: error: --teacher {target}: agent '{manifest.Agent}' learned tasks 0–{tasks - 1}, so it cannot teach task {beyond}");
                return null;
            }
            var checkpoint = CheckpointFile.Load(checkpointPath);
            var saved = sequential ? SavedSchedule.Read(checkpoint, tasks) : null;
            if (saved is not null && taughtTasks.Select(t => tasks == 1 ? 0 : t).FirstOrDefault(t => t >= saved.FinishedStages, -1) is var unlearned and >= 0)
            {
                var last = saved.FinishedStages == 0 ? "no stage has finished yet" : $"its last finished stage is {saved.FinishedStages - 1} (task {saved.FinishedStages - 1})";
                error.WriteLine($"mtrl: error: --teacher {target}: run {run.Path} stopped in stage {saved.Stage} of its sequential schedule, before the stage of task {unlearned} finished, so it cannot teach task {unlearned}; {last}");
                return null;
            }
            var layout = (ParameterLayout)type.GetMethod(GeneratedNames.CreateLayout, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
            var store = new ParameterStore(layout);
            checkpoint.RestoreTo(store);
            var network = (IQNetwork)Activator.CreateInstance(networkType, store, maxBatch)!;
            // The saved stage's active and frozen columns and finished pathways, as SequentialTrainer.Restore rebuilds them.
            saved?.Rebuild(network);
            network.UseGemm(GemmBackend.Auto, null);
            IFeatureNetwork? features = null;
            if (featureType is not null)
            {
                features = (IFeatureNetwork)Activator.CreateInstance(featureType, store, maxBatch)!;
                saved?.Rebuild(features);
                features.UseGemm(GemmBackend.Auto, null);
                if (tasks == 1) features = new TaskZeroFeatures(features);
            }
            var schedule = saved is null ? "" : saved.Finished ? ", its sequential schedule finished" : $", its sequential schedule in stage {saved.Stage} (tasks learned: {(saved.FinishedStages == 1 ? "0" : $"0–{saved.FinishedStages - 1}")})";
            output.WriteLine($"teacher {manifest.Agent} ({tasks} task{(tasks == 1 ? "" : "s")}) from {checkpointPath}{schedule}{(features is null ? "" : $", with its {features.Width} features")}");
            return (tasks == 1 ? new TaskZeroNetwork(network) : network, checkpointPath, features);
        }
        catch (Exception exception) when (exception is RunDirectoryException or CheckpointException or IOException)
        {
            error.WriteLine($"mtrl: error: --teacher {target}: {CliApp.OneLine(exception.Message)}");
            return null;
        }
    }

    /// <summary>
    /// The features class of the teacher's q network (class <paramref name="networkClass"/>) when
    /// its spec declares identity features <c>features(h)</c> of <paramref name="width"/>, the
    /// student's predictor width; else null after one line naming the teacher run and both widths.
    /// </summary>
    private static string? IdentityFeatures(string target, string specFile, string text, string agentName, string networkClass, int width, TextWriter error)
    {
        var agent = SpecCompiler.Compile(specFile, text).Model.Agents.FirstOrDefault(a => a.Name == agentName);
        var network = agent?.Networks.FirstOrDefault(n => GeneratedNames.NetworkClass(n.Name) == networkClass);
        if (network?.Features is not { Op: FeaturesOp { Affine: false } } features)
        {
            var found = network?.Features is { } predictor ? $"its features output '{predictor.Name}' is a predictor (features(…, width: …)), not its hidden layer" : "it declares no features output";
            error.WriteLine($"mtrl: error: --teacher {target}: the student regresses its teachers' features (actor_mimic(features: β)), but {found}; add 'out features = features(h)' to network '{network?.Name ?? networkClass}' of the teacher's spec (it adds no parameters, so the checkpoint still fits)");
            return null;
        }
        if (features.Width != width)
        {
            error.WriteLine($"mtrl: error: --teacher {target}: the teacher's features '{features.Name}' are {features.Width} wide but the student's predictor gives {width}; make the student's features(…, width: {features.Width})");
            return null;
        }
        return GeneratedNames.FeatureClass(network.Name);
    }

    /// <summary>A single-task teacher's features, asked about any task, are those of its own task 0.</summary>
    private sealed class TaskZeroFeatures(IFeatureNetwork inner) : IFeatureNetwork
    {
        public int MaxBatch => inner.MaxBatch;

        public int Width => inner.Width;

        public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs) =>
            inner.Forward(new NetworkInputs(inputs.Observations, inputs.Goals, default, inputs.Count));

        public void UseGemm(GemmBackend backend, Accelerator? accelerator) => inner.UseGemm(backend, accelerator);

        public void Backward(ReadOnlySpan<float> outputGradient) => throw new NotSupportedException("a teacher is never trained");
    }

    /// <summary>A single-task teacher asked about any task answers as its own task 0.</summary>
    private sealed class TaskZeroNetwork(IQNetwork inner) : IQNetwork
    {
        public int MaxBatch => inner.MaxBatch;

        public int ObservationWidth => inner.ObservationWidth;

        public int GoalWidth => inner.GoalWidth;

        public int ActionCount => inner.ActionCount;

        public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs) =>
            inner.Forward(new NetworkInputs(inputs.Observations, inputs.Goals, default, inputs.Count));

        public void UseGemm(GemmBackend backend, Accelerator? accelerator) => inner.UseGemm(backend, accelerator);

        public void Backward(ReadOnlySpan<float> outputGradient) => throw new NotSupportedException("a teacher is never trained");
    }
}
