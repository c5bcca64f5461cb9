using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
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
}
