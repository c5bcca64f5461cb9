using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Contracts;
using Algorithm = Mtrl.Dsl.Model.Algorithm;
using Mtrl.Dsl.Semantics;
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
    public void FrozenNamesReachTheOptionsAndTheTrainingClassAndStayFrozen()
    {
        var spec = BitFlip.Replace("seed: 3 }", "seed: 3  freeze: [h] }");
        var assembly = Build(spec, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DqnOptions Options() => Consumer.Agents.Flip.CreateDqnOptions();
                public static global::System.Collections.Generic.IReadOnlyList<string> Listed() => Consumer.Agents.Flip.Training.Freeze;
                public static global::Mtrl.Runtime.Algorithms.DqnTrainer Create() =>
                    Consumer.Agents.Flip.CreateTrainer(new global::Mtrl.Runtime.Environments.BitFlipVectorEnvironment(4, 8));
            }
            """);
        Assert.Equal(new[] { "q.h" }, ((DqnOptions)Call(assembly, "Options")!).Freeze);
        Assert.Equal(new[] { "q.h" }, (System.Collections.Generic.IReadOnlyList<string>)Call(assembly, "Listed")!);
        var trainer = (DqnTrainer)Call(assembly, "Create")!;
        var frozen = trainer.Parameters.Layout.Slices.Where(trainer.Parameters.IsFrozen).Select(s => s.Name);
        Assert.Equal(new[] { "q.h.fc0.weight", "q.h.fc0.bias" }, frozen);

        // Without freeze the options keep the runtime's default and the class lists nothing.
        var plain = Build(BitFlip, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DqnOptions Options() => Consumer.Agents.Flip.CreateDqnOptions();
                public static global::System.Collections.Generic.IReadOnlyList<string> Listed() => Consumer.Agents.Flip.Training.Freeze;
            }
            """);
        Assert.Empty(((DqnOptions)Call(plain, "Options")!).Freeze);
        Assert.Empty((System.Collections.Generic.IReadOnlyList<string>)Call(plain, "Listed")!);
    }

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
        Assert.Equal(new Mtrl.Runtime.Replay.HerOptions(HerGoalStrategy.Future, 4), options.Her);
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
    [InlineData("discrete(2)", "network q { out q = q_values(obs) }", "train dqn { }", Algorithm.Dqn)]
    [InlineData("discrete(2)", "network q { out q = q_values(obs) }\n network pi { out pi = categorical(obs) }", "train distral { }", Algorithm.Distral)]
    [InlineData("continuous(2)", "network pi { out pi = gaussian(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train sac { }", Algorithm.Sac)]
    [InlineData("continuous(2)", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train td3 { }", Algorithm.Td3)]
    public void TheFactoriesCarryTheNamesTheCliLooksUp(string action, string networks, string train, Algorithm algorithm)
    {
        var spec = $"agent A {{\n  tasks: 2\n  input obs: 3\n  action: {action}\n  {networks}\n  {train}\n}}\n";
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/a.mtrl", spec) });
        Assert.DoesNotContain(diagnostics, d => d.Id == "MTRL0410");
        var agent = output.GetTypeByMetadataName("Consumer.Agents.A")!;
        Assert.Single(agent.GetMembers(GeneratedNames.CreateTrainer));
        Assert.Single(agent.GetMembers(GeneratedNames.CreateLayout));
        var options = Assert.Single(agent.GetMembers(GeneratedNames.CreateOptions(algorithm)));
        Assert.Equal(GeneratedNames.OptionsType(algorithm), ((IMethodSymbol)options).ReturnType.Name);
    }

    [Theory]
    [InlineData("train sac { }", "network pi { out pi = categorical(obs) }\n network q { out q = q_values(obs) }", "discrete(2)", "needs continuous actions")]
    [InlineData("train sac { }", "goal g: 2\n network pi { out pi = gaussian(concat(obs, g)) }\n network q { out q = q_values(concat(obs, g, action)) }\n  replay { priority: proportional(alpha: 0.5)  her: future(k: 4) }", "continuous(2)", "prioritized replay cannot be combined with HER")]
    [InlineData("train td3 { }", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, detach(action))) }", "continuous(2)", "reads the action only through detach")]
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
        Assert.Equal(GradientReduction.Sum, options.GradientReduction);
        Assert.Equal(0.5, options.GradNormAlpha);
        Assert.Equal(0.01, options.GradNormLearningRate);
        Assert.Equal(ReplaySampling.TaskBalanced, options.Sampling);
        Assert.Equal(new[] { 1.0, 2.0, 0.5, 0.0 }, options.TaskWeights);
    }

    private const string PointMassSac = """
        agent Reach {
          tasks: 2
          input position: 4
          goal target: 2
          action: continuous(2, low: -1, high: 1)
          block trunk = mlp(widths: [32])
          network actor {
            out pi = gaussian(mlp(trunk(concat(position, target)), widths: [32]), log_std: [-5, 2], per_task: true)
          }
          network critic {
            out q = q_values(mlp(concat(detach(trunk(concat(position, target))), action, onehot(task)), widths: [32, 32]))
          }
          train sac { lr: 1e-3  batch: 32  warmup: 100  alpha: per_task  alpha_init: 0.5  target_entropy: -1  loss_weights: alpha_softmax  seed: 5 }
          replay { capacity: 5_000  sampling: balanced }
        }
        """;

    [Fact]
    public void AGeneratedSacAgentCarriesTheSpecsSettingsAndTrainsEachNetworkOnItsOwnSlices()
    {
        var assembly = Build(PointMassSac, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.SacOptions Options() => Consumer.Agents.Reach.CreateSacOptions();
                public static global::Mtrl.Runtime.Algorithms.SacTrainer Train(long transitions)
                {
                    var environment = new global::Mtrl.Runtime.Environments.PointMassVectorEnvironment(4, new global::Mtrl.Runtime.Environments.PointMassOptions
                    {
                        Tasks = new[] { global::Mtrl.Runtime.Environments.PointMassTaskSuite.Ten[0], global::Mtrl.Runtime.Environments.PointMassTaskSuite.Ten[1] },
                    });
                    var trainer = Consumer.Agents.Reach.CreateTrainer(environment, Options() with { Steps = transitions });
                    trainer.Train();
                    return trainer;
                }
                public static string[][] Slices()
                {
                    var store = new global::Mtrl.Runtime.Parameters.ParameterStore(Consumer.Agents.Reach.CreateLayout());
                    global::Mtrl.Runtime.Algorithms.IPolicyNetwork actor = new Consumer.Agents.Reach.ActorNetwork(store, 4);
                    global::Mtrl.Runtime.Algorithms.ICriticNetwork critic = new Consumer.Agents.Reach.CriticNetwork(store, 4);
                    return new[] { System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(actor.TrainedSlices, s => s.Name)), System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(critic.TrainedSlices, s => s.Name)) };
                }
            }
            """);
        var options = (SacOptions)Call(assembly, "Options")!;
        Assert.Equal(TemperatureMode.PerTask, options.Alpha);
        Assert.Equal(TaskLossWeighting.AlphaSoftmax, options.LossWeighting);
        Assert.Equal(0.5, options.AlphaInit);
        Assert.Equal(-1.0, options.TargetEntropy);
        Assert.Equal(-5f, options.LogStdMin);
        Assert.Equal(ReplaySampling.TaskBalanced, options.Sampling);
        Assert.Equal(5UL, options.Seed);

        // The critic reads the trunk through detach: only the actor trains it.
        var slices = (string[][])Call(assembly, "Slices")!;
        Assert.Contains("trunk.fc0.weight", slices[0]);
        Assert.DoesNotContain(slices[0], s => s.StartsWith("critic.", StringComparison.Ordinal));
        Assert.DoesNotContain("trunk.fc0.weight", slices[1]);
        Assert.All(slices[1], s => Assert.StartsWith("critic.", s));

        var trainer = (SacTrainer)Call(assembly, "Train", 600L)!;
        Assert.Equal(600, trainer.Transitions);
        // Updates start once the warm-up is over and a first episode has finished (only finished episodes are sampled).
        Assert.InRange(trainer.Updates, 100, (600 - 100) / options.TrainEvery * options.GradientSteps);
        Assert.True(double.IsFinite(trainer.LastLoss) && double.IsFinite(trainer.LastActorLoss));
        Assert.Equal(2, trainer.LogAlpha.Length);
        Assert.NotEqual(trainer.LogAlpha[0], trainer.LogAlpha[1]);
    }

    [Fact]
    public void AGeneratedTd3AgentWithHerTrains()
    {
        var assembly = Build("""
            agent Reach {
              input position: 4
              goal target: 2
              action: continuous(2)
              network actor { out a = deterministic(mlp(concat(position, target), widths: [32])) }
              network critic { out q = q_values(mlp(concat(position, target, action), widths: [32])) }
              train td3 { batch: 32  warmup: 100  policy_delay: 3  policy_noise: 0.1  noise_clip: 0.3  exploration_noise: 0.2  seed: 2 }
              replay { capacity: 5_000  her: final(k: 2) }
            }
            """, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.Td3Trainer Train(long transitions)
                {
                    var environment = new global::Mtrl.Runtime.Environments.PointMassVectorEnvironment(4, new global::Mtrl.Runtime.Environments.PointMassOptions
                    {
                        Tasks = new[] { global::Mtrl.Runtime.Environments.PointMassTaskSuite.Ten[0] }, SparseReward = true,
                    });
                    var trainer = Consumer.Agents.Reach.CreateTrainer(environment, Consumer.Agents.Reach.CreateTd3Options() with { Steps = transitions });
                    trainer.Train();
                    return trainer;
                }
            }
            """);
        var trainer = (Td3Trainer)Call(assembly, "Train", 400L)!;
        Assert.Equal(3, trainer.Options.PolicyDelay);
        Assert.Equal(0.3, trainer.Options.NoiseClip);
        Assert.Equal(0.2, trainer.Options.ExplorationNoise);
        Assert.Equal(HerGoalStrategy.Final, trainer.Options.Her!.Value.Strategy);
        Assert.InRange(trainer.Updates, 100, (400 - 100) / trainer.Options.TrainEvery * trainer.Options.GradientSteps);
        Assert.True(double.IsFinite(trainer.LastLoss));
    }
}
