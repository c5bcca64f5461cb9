using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Generated q networks work as the runtime's IQNetwork, and a DQN agent's generated
/// CreateTrainer trains it; agents without a trainer get MTRL0410 at their train section.
/// </summary>
public sealed class TrainerFactoryTests
{
    /// <summary>Compiles <paramref name="spec"/> with <paramref name="driver"/> (C# calling the generated agent) and returns the loaded assembly.</summary>
    private static Assembly Build(string spec, string driver)
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/factory.mtrl", spec) }, null, driver);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray());
    }

    private static object? Call(Assembly assembly, string method, params object?[] arguments) =>
        assembly.GetType("Consumer.Driver")!.GetMethod(method)!.Invoke(null, arguments);

    private const string BitFlip = """
        agent Flip {
          input bits: 8
          goal target: 8
          action: discrete(8)
          network q {
            h = mlp(concat(bits, target), widths: [64])
            out q = q_values(h)
          }
          train dqn { gamma: 0.9  lr: 1e-3  batch: 64  warmup: 200  target_update_every: 200  epsilon_decay_steps: 2000  seed: 3 }
          replay { capacity: 20_000  her: future(k: 4) }
        }
        """;

    [Fact]
    public void TheGeneratedFactoryCarriesTheSpecsSettingsAndTrains()
    {
        var assembly = Build(BitFlip, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DqnOptions Options() => Consumer.Agents.Flip.CreateDqnOptions();
                public static global::Mtrl.Runtime.Algorithms.ITrainer Train(long transitions)
                {
                    var environment = new global::Mtrl.Runtime.Environments.BitFlipVectorEnvironment(4, 8);
                    var trainer = Consumer.Agents.Flip.CreateTrainer(environment, Consumer.Agents.Flip.CreateDqnOptions() with { Steps = transitions });
                    trainer.Train();
                    return trainer;
                }
            }
            """);

        var options = (DqnOptions)Call(assembly, "Options")!;
        Assert.Equal(0.9, options.Gamma);
        Assert.Equal(1e-3f, options.LearningRate);
        Assert.Equal(64, options.BatchSize);
        Assert.Equal(200, options.TargetUpdateEvery);
        Assert.Equal(2_000, options.EpsilonDecaySteps);
        Assert.Equal(20_000, options.ReplayCapacity);
        Assert.Equal(3UL, options.Seed);
        Assert.Equal(new Mtrl.Runtime.Replay.HerOptions(Mtrl.Kernels.Replay.HerGoalStrategy.Future, 4), options.Her);
        Assert.Equal(4, options.TrainEvery); // dqn's default, filled in by the front end

        var trainer = (ITrainer)Call(assembly, "Train", 6_000L)!;
        Assert.Equal(6_000, trainer.Transitions);
        Assert.True(trainer.Updates > 1_000);
        Assert.True(trainer.Episodes.TerminationRate > 0.5, $"success {trainer.Episodes.TerminationRate:P0} after 6,000 transitions");
    }

    [Fact]
    public void RowsAreSplitIntoTheInputsTheNetworkReads()
    {
        // Two observation inputs and two goals, of which the network reads one of each, plus per-task heads:
        // the IQNetwork overload must pick every input out of its place in the rows.
        var assembly = Build("""
            agent Rows {
              tasks: 3
              input skip: 3
              input seen: 2
              goal far: 4
              goal near: 5
              action: discrete(4)
              network q {
                h = mlp(concat(seen, near), widths: [6])
                out q = q_values(h, per_task: true)
              }
              train dqn { }
            }
            """, """
            namespace Consumer;
            public static class Driver
            {
                public static float[][] Both(float[] observations, float[] goals, int[] tasks, int batch)
                {
                    var store = new global::Mtrl.Runtime.Parameters.ParameterStore(Consumer.Agents.Rows.CreateLayout());
                    store.Initialize(9);
                    var network = new Consumer.Agents.Rows.QNetwork(store, batch);
                    var seen = new float[batch * 2];
                    var near = new float[batch * 5];
                    for (var b = 0; b < batch; b++)
                    {
                        global::System.Array.Copy(observations, b * 5 + 3, seen, b * 2, 2);
                        global::System.Array.Copy(goals, b * 9 + 4, near, b * 5, 5);
                    }
                    var typed = network.Forward(seen, near, tasks, batch).ToArray();
                    global::Mtrl.Runtime.Algorithms.IQNetwork q = network;
                    var rows = q.Forward(new global::Mtrl.Runtime.Algorithms.NetworkInputs(observations, goals, tasks, batch)).ToArray();
                    return new[] { typed, rows, new float[] { q.ObservationWidth, q.GoalWidth, q.ActionCount } };
                }
            }
            """);
        const int Batch = 7;
        var observations = new float[Batch * 5];
        var goals = new float[Batch * 9];
        Mtrl.Kernels.PhiloxFill.Normal(observations, 1, 0, 0);
        Mtrl.Kernels.PhiloxFill.Normal(goals, 1, 1, 0);
        var tasks = Enumerable.Range(0, Batch).Select(i => i % 3).ToArray();

        var results = (float[][])Call(assembly, "Both", observations, goals, tasks, Batch)!;

        Assert.Equal(new float[] { 5, 9, 4 }, results[2]);
        Assert.Equal(results[0], results[1]);
        Assert.Contains(results[0], v => v != 0f);
    }

    [Theory]
    [InlineData("train sac { }", "network pi { out pi = gaussian(obs) }\n network q { out q = q_values(concat(obs, action)) }", "continuous(2)", "the runtime has no sac trainer yet")]
    [InlineData("train dqn { }\n  replay { per_task: true }", "network q { out q = q_values(obs, per_task: true) }", "discrete(2)", "use 'sampling: balanced' instead of 'per_task: true'")]
    [InlineData("train td3 { }", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, action)) }", "continuous(2)", "the runtime has no td3 trainer yet")]
    public void AnAgentWithoutATrainerGetsMtrl0410AtItsTrainSection(string train, string networks, string action, string reason)
    {
        var spec = $"agent A {{\n  tasks: 2\n  input obs: 3\n  action: {action}\n  {networks}\n  {train}\n}}\n";
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/a.mtrl", spec) });

        var note = Assert.Single(diagnostics, d => d.Id == "MTRL0410");
        Assert.Equal(DiagnosticSeverity.Info, note.Severity);
        Assert.Contains(reason, note.GetMessage());
        var trainLine = Array.FindIndex(spec.Split('\n'), l => l.TrimStart().StartsWith("train", StringComparison.Ordinal)) + 1;
        Assert.Equal(trainLine, note.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Null(output.GetTypeByMetadataName("Consumer.Agents.A")!.GetMembers("CreateTrainer").FirstOrDefault());
    }

    [Fact]
    public void ProjectedTaskGradientsReachTheOptions()
    {
        var assembly = Build("""
            agent Multi {
              tasks: 4
              input cell: 4
              action: discrete(4)
              network q { out q = q_values(mlp(cell, widths: [8]), per_task: true) }
              train dqn { gradients: gradnorm(alpha: 0.5, lr: 0.01, reduction: sum)  loss_weights: fixed(weights: [1, 2, 0.5, 0]) }
              replay { sampling: balanced }
            }
            """, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DqnOptions Options() => Consumer.Agents.Multi.CreateDqnOptions();
            }
            """);
        var options = (DqnOptions)Call(assembly, "Options")!;
        Assert.Equal(TaskGradientMethod.GradNorm, options.Gradients);
        Assert.Equal(Mtrl.Kernels.GradientReduction.Sum, options.GradientReduction);
        Assert.Equal(0.5, options.GradNormAlpha);
        Assert.Equal(0.01, options.GradNormLearningRate);
        Assert.Equal(ReplaySampling.TaskBalanced, options.Sampling);
        Assert.Equal(new[] { 1.0, 2.0, 0.5, 0.0 }, options.TaskWeights);
    }
}
