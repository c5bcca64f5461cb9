using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Contracts;
using Mtrl.Runtime.Algorithms;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>Generated factories of <c>train distill</c> and <c>train distral</c> agents carry the spec's settings and train.</summary>
public sealed class DistillationFactoryTests
{
    private const string Student = """
        agent Student {
          tasks: 4
          input cells: 169
          action: discrete(4)
          network q {
            h = mlp(concat(cells, onehot(task)), widths: [32])
            out q = q_values(h, per_task: true)
          }
          train distill { method: actor_mimic(tau: 0.5)  collector: student  lr: 1e-3  batch: 16  warmup: 32  epsilon_decay_steps: 300  seed: 4 }
          replay { capacity: 2_000 }
        }
        """;

    private const string Distral = """
        agent Both {
          tasks: 4
          input cells: 169
          action: discrete(4)
          network q {
            out f = q_values(mlp(concat(cells, onehot(task)), widths: [32]), per_task: true)
          }
          network pi0 {
            out logits = categorical(mlp(cells, widths: [32]))
          }
          train distral { kl: 0.1  entropy: 0.02  lr: 1e-3  batch: 16  warmup: 32  target_update_every: 100  seed: 4 }
          replay { capacity: 2_000 }
        }
        """;

    private static System.Type Build(string spec, string driver)
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/distill.mtrl", spec) }, null, driver);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || d.Id == "MTRL0410"));
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray()).GetType("Consumer.Driver")!;
    }

    [Fact]
    public void ADistillAgentsFactoryBindsTheStudentToItsTeachersAndTrains()
    {
        var driver = Build(Student, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DistillationOptions Options() => Consumer.Agents.Student.CreateDistillationOptions();
                public static global::Mtrl.Runtime.Algorithms.ITrainer Train()
                {
                    var store = new global::Mtrl.Runtime.Parameters.ParameterStore(Consumer.Agents.Student.CreateLayout());
                    store.Initialize(99);
                    var teacher = new Consumer.Agents.Student.QNetwork(store, 16);
                    var environment = new global::Mtrl.Runtime.Environments.GridWorldVectorEnvironment(4);
                    var trainer = Consumer.Agents.Student.CreateTrainer(environment, new[] { teacher }, Options() with { Steps = 1200 });
                    trainer.Train();
                    return trainer;
                }
            }
            """);
        var options = (DistillationOptions)driver.GetMethod("Options")!.Invoke(null, null)!;
        Assert.Equal((DistillationMethod.ActorMimic, 0.5f, DistillationCollector.Student, 300L, 4UL), (options.Method, options.Temperature, options.Collector, options.EpsilonDecaySteps, options.Seed));
        var trainer = (DistillationTrainer)driver.GetMethod("Train")!.Invoke(null, null)!;
        Assert.Equal(1200, trainer.Transitions);
        Assert.True(trainer.Updates > 10, $"{trainer.Updates} updates");
        Assert.True(double.IsFinite(trainer.LastLoss));
    }

    [Fact]
    public void ADistralAgentsFactoryBindsTaskColumnsAndTheDistilledPolicyAndTrains()
    {
        var driver = Build(Distral, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DistralOptions Options() => Consumer.Agents.Both.CreateDistralOptions();
                public static global::Mtrl.Runtime.Algorithms.ITrainer Train()
                {
                    var environment = new global::Mtrl.Runtime.Environments.GridWorldVectorEnvironment(4);
                    var trainer = Consumer.Agents.Both.CreateTrainer(environment, Options() with { Steps = 1200 });
                    trainer.Train();
                    return trainer;
                }
            }
            """);
        var options = (DistralOptions)driver.GetMethod("Options")!.Invoke(null, null)!;
        Assert.Equal((0.1f, 0.02f, 100), (options.KlCoefficient, options.EntropyCoefficient, options.TargetUpdateEvery));
        var trainer = (DistralTrainer)driver.GetMethod("Train")!.Invoke(null, null)!;
        Assert.Equal(1200, trainer.Transitions);
        Assert.True(trainer.Updates > 10, $"{trainer.Updates} updates");
        Assert.True(double.IsFinite(trainer.LastLoss) && double.IsFinite(trainer.LastDistilledLoss));
    }

    private const string ActorMimic = """
        agent Teacher {
          tasks: 1
          input cells: 169
          action: discrete(4)
          network q {
            h = mlp(cells, widths: [16])
            out q = q_values(h)
            out features = features(h)
          }
          train dqn { }
          replay { capacity: 1_000 }
        }

        agent Mimic {
          tasks: 4
          input cells: 169
          action: discrete(4)
          network q {
            h = mlp(concat(cells, onehot(task)), widths: [32])
            out q = q_values(h, per_task: true)
            out f = features(h, width: 16, per_task: true)
          }
          train distill { method: actor_mimic(tau: 0.5, features: 0.5)  lr: 1e-3  batch: 16  warmup: 32  epsilon_decay_steps: 300  seed: 4 }
          replay { capacity: 2_000 }
        }
        """;

    [Fact]
    public void AnActorMimicFactoryRegressesTheTeachersFeaturesIntoTheStudentsBody()
    {
        var driver = Build(ActorMimic, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Algorithms.DistillationOptions Options() => Consumer.Agents.Mimic.CreateDistillationOptions();
                public static global::Mtrl.Runtime.Algorithms.DistillationTrainer Train(float featureWeight, bool features)
                {
                    // Four teachers, each a differently initialised Teacher with its hidden layer as features.
                    var teachers = new global::Mtrl.Runtime.Algorithms.IQNetwork[4];
                    var teacherFeatures = new global::Mtrl.Runtime.Algorithms.IFeatureNetwork[4];
                    for (var t = 0; t < 4; t++)
                    {
                        var store = new global::Mtrl.Runtime.Parameters.ParameterStore(Consumer.Agents.Teacher.CreateLayout());
                        store.Initialize((ulong)(10 + t));
                        teachers[t] = new Consumer.Agents.Teacher.QNetwork(store, 16);
                        teacherFeatures[t] = new Consumer.Agents.Teacher.QFeatures(store, 16);
                    }
                    var environment = new global::Mtrl.Runtime.Environments.GridWorldVectorEnvironment(4);
                    var trainer = Consumer.Agents.Mimic.CreateTrainer(environment, teachers, Options() with { Steps = 600, FeatureWeight = featureWeight },
                        teacherFeatures: features ? teacherFeatures : null);
                    trainer.Train();
                    return trainer;
                }
            }
            """);
        var options = (DistillationOptions)driver.GetMethod("Options")!.Invoke(null, null)!;
        Assert.Equal((DistillationMethod.ActorMimic, 0.5f, 0.5f), (options.Method, options.Temperature, options.FeatureWeight));
        DistillationTrainer Train(float weight, bool features) => (DistillationTrainer)driver.GetMethod("Train")!.Invoke(null, new object[] { weight, features })!;

        var regressed = Train(0.5f, features: true);
        Assert.True(regressed.Updates > 10, $"{regressed.Updates} updates");
        Assert.True(double.IsFinite(regressed.LastFeatureLoss) && regressed.LastFeatureLoss > 0, $"feature loss {regressed.LastFeatureLoss}");
        var layout = regressed.Parameters.Layout;
        var off = Train(0f, features: true);
        Assert.True(double.IsNaN(off.LastFeatureLoss));
        var none = Train(0.5f, features: false);
        Assert.True(double.IsNaN(none.LastFeatureLoss));
        // Same seed, same data until the first update: the feature loss alone moves the body and the predictor apart.
        Assert.NotEqual(regressed.Parameters.ValuesOf(layout["q.h.fc0.weight"]).ToArray(), off.Parameters.ValuesOf(layout["q.h.fc0.weight"]).ToArray());
        Assert.NotEqual(regressed.Parameters.ValuesOf(layout["q.f.task0.weight"]).ToArray(), off.Parameters.ValuesOf(layout["q.f.task0.weight"]).ToArray());
        // Weight 0 and no features at all train identically: nothing else changes.
        Assert.Equal(off.Parameters.Values.ToArray(), none.Parameters.Values.ToArray());
    }
}
