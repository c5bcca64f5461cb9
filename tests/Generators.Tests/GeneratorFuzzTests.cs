using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Issue #16: a spec that passes the front end always generates C# that compiles and builds.
/// Specs come from mutating the examples (renamed identifiers, changed numbers and options,
/// dropped and duplicated lines) and from a generator of random architectures over every op,
/// with names drawn from a pool of keywords, case variants, the generator's own names and long
/// names. Every spec the front end accepts is generated and compiled (each in its own namespace,
/// many per compilation); every agent's layout is built, every network class constructed on it,
/// CreateTrainer must exist exactly when the generator says a trainer does, and for random specs
/// shaped for BitFlip or PointMass the trainer is created. Seeds are fixed.
/// </summary>
public sealed class GeneratorFuzzTests
{
    /// <summary>Names that stress mangling: keywords, case variants, the generator's own names, odd underscores.</summary>
    private static readonly string[] Names =
    {
        "h", "x", "z", "foo_bar", "fooBar", "FooBar", "q", "Q", "class", "int", "float", "var", "record", "nameof", "value",
        "Linear", "Concat", "Array", "System", "Tasks", "Training", "CreateTrainer", "tasks", "batch", "store", "scratch",
        "CreateSequentialTrainer", "SequentialTrainer", "Distral", "teachers", "environment_for_task", "pathways", "Columns",
        "task_ids", "active_columns", "layer", "module", "column", "count", "start", "pre", "b", "h_fc0", "h_grad", "h_layer",
        "d_h", "hFc0", "_x", "x_", "__x", "_1", "a1", "i_q", "Obs", "obs", "QNetwork", "ObsWidth", "out_", "in_", "layout",
        "output", "observation", "Mtrl", "Fuzz", "Forward", "Run", "max_batch", "outputGradient", "inputs", "actions",
        "n" + new string('x', 300),
    };

    private static readonly string[] Activations = { "relu", "tanh", "elu", "gelu", "leaky_relu", "none" };

    private sealed record Case(string Name, string Text, string? Environment);

    [Fact]
    public void MutatedExamplesThatPassTheFrontEndCompileAndBuild()
    {
        var random = new Random(1616);
        var cases = new List<Case>();
        foreach (var file in GeneratorHarness.ExampleFiles)
        {
            var text = File.ReadAllText(file);
            for (var i = 0; i < 14; i++)
            {
                var mutated = text;
                var count = 1 + random.Next(3);
                for (var m = 0; m < count; m++) mutated = Mutate(mutated, random);
                cases.Add(new Case($"{Path.GetFileNameWithoutExtension(file)}_m{i}", mutated, null));
            }
        }
        var accepted = Run(cases);
        Assert.True(accepted >= cases.Count / 4, $"only {accepted} of {cases.Count} mutated specs passed the front end; the fuzzer tests too little");
    }

    [Fact]
    public void RandomArchitecturesThatPassTheFrontEndCompileAndBuild()
    {
        var random = new Random(2026);
        var cases = Enumerable.Range(0, 90).Select(i => RandomSpec(random, i)).ToList();
        var trainers = new List<AgentModel>();
        var accepted = Run(cases, trainers.Add);
        Assert.True(accepted >= cases.Count / 3, $"only {accepted} of {cases.Count} random specs passed the front end; the fuzzer tests too little");
        Assert.True(trainers.Count >= 10, $"only {trainers.Count} trainers were created");
        // Every algorithm, and a sequential schedule, reached a built trainer.
        foreach (var algorithm in new[] { Algorithm.Dqn, Algorithm.Sac, Algorithm.Td3, Algorithm.Distill, Algorithm.Distral })
        {
            Assert.Contains(trainers, a => a.Training.Algorithm == algorithm);
        }
        Assert.Contains(trainers, a => a.Training.Schedule.Kind == ScheduleKind.Sequential);
        // ... and a distillation regressing features through a generated features class.
        Assert.Contains(trainers, a => a.Training.Distill is { FeatureWeight: > 0 } && a.Networks.Any(n => n.Features is not null));
        Assert.Contains(trainers, a => a.Training.Algorithm != Algorithm.Distill && a.Networks.Any(n => n.Features is not null));
    }

    private static readonly Regex Declared = new(@"(?:\b(?:agent|input|goal|block|network|out)\s+|^\s*)(?<name>[A-Za-z_][A-Za-z0-9_]*)(?=\s*[:={])", RegexOptions.CultureInvariant | RegexOptions.Multiline);
    private static readonly Regex NumberToken = new(@"(?<![A-Za-z0-9_.\-])\d[\d_]*(?![A-Za-z0-9_.])", RegexOptions.CultureInvariant);
    private static readonly Regex OptionSetting = new(@"\b(?<key>activation|gate|mix|per_task|layer_norm|loss|sampling|double)\s*:\s*(?<value>[a-z_]+)", RegexOptions.CultureInvariant);

    private static readonly Dictionary<string, string[]> OptionValues = new()
    {
        ["activation"] = Activations,
        ["gate"] = new[] { "per_task", "ensemble", "attention" },
        ["mix"] = new[] { "mean", "gated" },
        ["per_task"] = new[] { "true", "false" },
        ["layer_norm"] = new[] { "true", "false" },
        ["loss"] = new[] { "mse", "huber" },
        ["sampling"] = new[] { "uniform", "balanced" },
        ["double"] = new[] { "true", "false" },
    };

    private static readonly string[] Keywords = { "agent", "input", "goal", "block", "network", "out", "tasks", "action", "description", "train", "replay", "evolution" };

    /// <summary>
    /// One mutation: rename a declared name everywhere (to a name of the pool or a case or
    /// underscore variant of another declared name), change a whole number or an option, drop
    /// or duplicate a line.
    /// </summary>
    private static string Mutate(string text, Random random)
    {
        var code = string.Join("\n", text.Split('\n').Select(l => l.Contains('#') ? l.Substring(0, l.IndexOf('#')) : l));
        switch (random.Next(6))
        {
            case 0:
            case 1:
                {
                    var names = Declared.Matches(code).Cast<Match>().Select(m => m.Groups["name"].Value)
                        .Where(n => !Keywords.Contains(n)).Distinct().ToList();
                    if (names.Count == 0) return code;
                    var from = names[random.Next(names.Count)];
                    var other = names[random.Next(names.Count)];
                    var to = random.Next(3) switch
                    {
                        0 => Names[random.Next(Names.Length)],
                        1 => char.ToUpperInvariant(other[0]) + other.Substring(1),
                        _ => other.Contains('_') ? Dsl.Semantics.GeneratedNames.Camel(other) : other + "_",
                    };
                    return Regex.Replace(code, $@"(?<![A-Za-z0-9_]){Regex.Escape(from)}(?![A-Za-z0-9_])", to);
                }
            case 2:
                {
                    var numbers = NumberToken.Matches(code).Cast<Match>().ToList();
                    if (numbers.Count == 0) return code;
                    var pick = numbers[random.Next(numbers.Count)];
                    var values = new[] { "1", "2", "3", "5", "8", "0" };
                    return code.Substring(0, pick.Index) + values[random.Next(values.Length)] + code.Substring(pick.Index + pick.Length);
                }
            case 3:
                {
                    var options = OptionSetting.Matches(code).Cast<Match>().ToList();
                    if (options.Count == 0) return code;
                    var pick = options[random.Next(options.Count)];
                    var values = OptionValues[pick.Groups["key"].Value];
                    var value = pick.Groups["value"];
                    return code.Substring(0, value.Index) + values[random.Next(values.Length)] + code.Substring(value.Index + value.Length);
                }
            default:
                {
                    var lines = code.Split('\n').ToList();
                    var at = random.Next(lines.Count);
                    if (random.Next(2) == 0) lines.RemoveAt(at);
                    else lines.Insert(at, lines[at]);
                    return string.Join("\n", lines);
                }
        }
    }

    private static string Name(Random random, string plain) => random.Next(3) == 0 ? Names[random.Next(Names.Length)] : plain;

    private static string Widths(Random random) => "[" + string.Join(", ", Enumerable.Range(0, 1 + random.Next(3)).Select(_ => (2 + random.Next(5)).ToString())) + "]";

    /// <summary>
    /// A random agent: dqn, distill or distral shaped for BitFlip(8), or sac/td3 shaped for
    /// PointMass, over random ops and names; dqn, sac and td3 sometimes with a sequential schedule.
    /// </summary>
    private static Case RandomSpec(Random random, int index)
    {
        var algorithm = new[] { "dqn", "sac", "td3", "dqn", "distill", "distral" }[random.Next(6)];
        var discrete = algorithm is "dqn" or "distill" or "distral";
        var tasks = discrete ? 1 + random.Next(2) * random.Next(3) : 1 + random.Next(3);
        var obs = Name(random, "obs");
        var goal = Name(random, "target");
        var used = new HashSet<string>(StringComparer.Ordinal) { obs, goal, "task", "action" };
        string Fresh(string plain)
        {
            for (var attempt = 0; ; attempt++)
            {
                var name = Name(random, attempt == 0 ? plain : plain + attempt);
                if (used.Add(name)) return name;
            }
        }
        var spec = new StringBuilder();
        spec.Append($"agent {Name(random, "Agent" + index)} {{\n  tasks: {tasks}\n");
        spec.Append(discrete ? $"  input {obs}: 8\n  goal {goal}: 8\n  action: discrete(8)\n" : $"  input {obs}: 4\n  goal {goal}: 2\n  action: continuous(2)\n");
        // A shared block, applied to the first input in every network (so its input widths agree).
        var block = random.Next(2) == 0 ? Fresh("enc") : null;
        if (block is not null) spec.Append($"  block {block} = mlp(widths: {Widths(random)})\n");
        string Body(bool critic)
        {
            var body = new StringBuilder();
            var values = new List<string> { obs, random.Next(2) == 0 ? goal : obs };
            if (block is not null)
            {
                var shared = Fresh("shared");
                body.Append($"    {shared} = {(random.Next(3) == 0 ? $"detach({block}({obs}))" : $"{block}({obs})")}\n");
                values.Add(shared);
            }
            string Pick() => values[random.Next(values.Count)];
            var steps = 1 + random.Next(4);
            for (var s = 0; s < steps; s++)
            {
                var name = Fresh("h" + s);
                var x = Pick();
                var act = Activations[random.Next(Activations.Length)];
                var expression = random.Next(13) switch
                {
                    0 => $"mlp({x}, widths: {Widths(random)}, activation: {act}, layer_norm: {(random.Next(2) == 0 ? "true" : "false")})",
                    1 => $"mlp({x}, widths: {Widths(random)}, film: {(random.Next(2) == 0 ? "onehot(task)" : Pick())})",
                    2 => $"linear({x}, width: {2 + random.Next(5)}, activation: {act})",
                    3 => $"concat({x}, {Pick()}, {(random.Next(2) == 0 ? "onehot(task)" : $"embedding(task, dim: {1 + random.Next(4)})")})",
                    4 => $"film({x}, by: {Pick()})",
                    5 => $"detach({x})",
                    6 => $"heads({x}, widths: {Widths(random)}, activation: {act})",
                    7 => random.Next(4) switch
                    {
                        0 => $"moe({x}, experts: {tasks}, widths: {Widths(random)}, gate: per_task)",
                        1 => $"moe({x}, experts: {1 + random.Next(3)}, widths: {Widths(random)}, gate: ensemble)",
                        2 => $"moe({x}, experts: {2 + random.Next(3)}, widths: {Widths(random)}, gate: topk(k: 1, temperature: 0.5, widths: {Widths(random)}), by: {Pick()})",
                        _ => $"moe({x}, experts: {1 + random.Next(3)}, widths: {Widths(random)}, activation: {act})",
                    },
                    8 => random.Next(2) == 0
                        ? $"soft_modular(linear({x}, width: 5), by: linear(onehot(task), width: 5), layers: {1 + random.Next(3)}, modules: {1 + random.Next(3)}, width: {2 + random.Next(4)}, mix: {(random.Next(2) == 0 ? "mean" : "gated")}, style: mtrl)"
                        : $"soft_modular(linear({x}, width: 5), by: {(random.Next(2) == 0 ? "linear(onehot(task), width: 5)" : $"linear({Pick()}, width: 5)")}, layers: {2 + random.Next(3)}, modules: {1 + random.Next(3)}, width: {2 + random.Next(4)}{(random.Next(2) == 0 ? ", style: soft_module" : "")})",
                    9 => $"progressive({x}, widths: {Widths(random)}, reduction: {1 + random.Next(3)}, activation: {act})",
                    10 => $"pathnet({x}, layers: {1 + random.Next(3)}, modules: 3, active: {1 + random.Next(3)}, width: {2 + random.Next(3)}, activation: {act})",
                    _ => $"mlp(concat({x}, {Pick()}), widths: {Widths(random)})",
                };
                body.Append($"    {name} = {expression}\n");
                values.Add(name);
            }
            var last = values[values.Count - 1];
            var perTask = random.Next(2) == 0 ? ", per_task: true" : "";
            var head = critic
                ? $"q_values(mlp(concat({last}, action), widths: [4]){perTask})"
                : discrete ? (random.Next(8) == 0 ? $"categorical({last}{perTask})" : $"q_values({last}{perTask})")
                : algorithm == "sac" ? $"gaussian({last}{perTask})" : $"deterministic({last}{perTask})";
            body.Append($"    out {Fresh("out")} = {head}\n");
            // Sometimes a features output: the head's input as it is, or an affine predictor of it, shared or per task.
            if (random.Next(3) == 0)
            {
                var width = 2 + random.Next(4);
                var features = random.Next(3) switch
                {
                    0 => $"features({last})",
                    1 => $"features({last}, width: {width})",
                    _ => $"features({last}, width: {width}, per_task: true)",
                };
                body.Append($"    out {Fresh("feat")} = {features}\n");
            }
            return body.ToString();
        }
        spec.Append($"  network {Fresh(discrete ? "q" : "actor")} {{\n{Body(critic: false)}  }}\n");
        if (!discrete) spec.Append($"  network {Fresh("critic")} {{\n{Body(critic: true)}  }}\n");
        // Distral's distilled policy: a categorical network beside the task columns.
        if (algorithm == "distral") spec.Append($"  network {Fresh("pi0")} {{\n    out {Fresh("logits")} = categorical(mlp({obs}, widths: {Widths(random)}))\n  }}\n");
        var jointOnly = algorithm is "distill" or "distral";
        var gradients = tasks > 1 && !jointOnly && random.Next(2) == 0 ? "  gradients: pcgrad" : "";
        var schedule = tasks > 1 && !jointOnly && random.Next(3) == 0 ? "  schedule: sequential(steps_per_task: 32)" : "";
        var settings = algorithm switch
        {
            "distill" => $"  method: {new[] { "kl(tau: 0.5)", "nll", "mse", "actor_mimic", "actor_mimic(tau: 0.5, features: 0.1)" }[random.Next(5)]}",
            "distral" => "  kl: 0.1  entropy: 0.02",
            _ => "",
        };
        // A sequential schedule sometimes tunes its PathNet tournaments (no effect, a warning, without a grid).
        var evolution = schedule.Length > 0 && random.Next(2) == 0
            ? $"  evolution {{ population: {2 + random.Next(3)}  steps_per_evaluation: 8  loser_updates: {(random.Next(2) == 0 ? "keep" : "discard")} }}\n"
            : "";
        spec.Append($"  train {algorithm} {{ batch: 8  warmup: 16  steps: 64{gradients}{schedule}{settings} }}\n  replay {{ capacity: 512 }}\n{evolution}}}\n");
        return new Case($"r{index}", spec.ToString(), discrete ? (tasks == 1 ? "bitflip" : null) : "pointmass");
    }

    /// <summary>Compiles every case the front end accepts, in batches, and checks each agent; returns how many were accepted.</summary>
    private static int Run(List<Case> cases, Action<AgentModel>? trainerCreated = null)
    {
        var accepted = cases.Where(c => !SpecCompiler.Compile($"/fuzz/{c.Name}.mtrl", c.Text).HasErrors).ToList();
        for (var start = 0; start < accepted.Count; start += 40)
        {
            RunBatch(accepted.Skip(start).Take(40).ToList(), trainerCreated);
        }
        return accepted.Count;
    }

    private static string Namespace(Case c) => "Fuzz." + c.Name;

    private static void RunBatch(List<Case> batch, Action<AgentModel>? trainerCreated)
    {
        var texts = batch.Select(c => new MtrlText($"/fuzz/{c.Name}.mtrl", c.Text)).ToList();
        var options = new TestOptions("Fuzz", batch.ToDictionary(c => $"/fuzz/{c.Name}.mtrl", Namespace));
        var (_, output, diagnostics) = GeneratorHarness.Run(texts, options);
        var generatorErrors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(generatorErrors.Count == 0, Explain(batch, generatorErrors));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, Explain(batch, errors));

        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, Explain(batch, emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList()));
        var assembly = Assembly.Load(stream.ToArray());
        foreach (var c in batch)
        {
            var model = SpecCompiler.Compile($"/fuzz/{c.Name}.mtrl", c.Text).Model;
            foreach (var agent in model.Agents)
            {
                try
                {
                    CheckAgent(assembly, c, agent, trainerCreated);
                }
                catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
                {
                    Assert.Fail($"{c.Name}, agent '{agent.Name}': {exception.GetBaseException()}\n{c.Text}");
                }
            }
        }
    }

    private static void CheckAgent(Assembly assembly, Case c, AgentModel agent, Action<AgentModel>? trainerCreated)
    {
        var type = assembly.GetType($"{Namespace(c)}.{agent.Name}");
        Assert.True(type is not null, $"{c.Name}: no class for agent '{agent.Name}'\n{c.Text}");
        var layout = (Mtrl.Runtime.Parameters.ParameterLayout)type!.GetMethod("CreateLayout")!.Invoke(null, null)!;
        var groups = agent.Networks.SelectMany(n => n.Parameters).Select(p => p.Name).Distinct().Count();
        Assert.Equal(groups, layout.Slices.Count);
        var store = new Mtrl.Runtime.Parameters.ParameterStore(layout);
        foreach (var network in agent.Networks)
        {
            var nested = type.GetNestedType(Dsl.Semantics.GeneratedNames.NetworkClass(network.Name));
            Assert.True(nested is not null, $"{c.Name}: no class for network '{network.Name}'\n{c.Text}");
            Activator.CreateInstance(nested!, store, 2);
            if (network.Features is null) continue;
            var features = type.GetNestedType(Dsl.Semantics.GeneratedNames.FeatureClass(network.Name));
            Assert.True(features is not null, $"{c.Name}: no features class for network '{network.Name}'\n{c.Text}");
            Activator.CreateInstance(features!, store, 2);
        }
        var factory = type.GetMethod("CreateTrainer");
        var supported = TrainerSupport.Check(agent) is null;
        Assert.True(supported == (factory is not null), $"{c.Name}: CreateTrainer {(factory is null ? "missing" : "present")} but the generator says {TrainerSupport.Check(agent) ?? "it has one"}\n{c.Text}");
        if (factory is null || c.Environment is null) return;
        object environment = c.Environment == "bitflip"
            ? new Mtrl.Runtime.Environments.BitFlipVectorEnvironment(2, 8)
            : new Mtrl.Runtime.Environments.PointMassVectorEnvironment(2, new Mtrl.Runtime.Environments.PointMassOptions
            {
                Tasks = Mtrl.Runtime.Environments.PointMassTaskSuite.Ten.Take(agent.Tasks).ToArray(),
            });
        object? trainer;
        if (agent.Training.Algorithm == Algorithm.Distill)
        {
            // The student's own network class, bound to a store of its own, serves as the teacher.
            var student = type.GetNestedTypes().Single(t => typeof(Mtrl.Runtime.Algorithms.IQNetwork).IsAssignableFrom(t));
            var teacherStore = new Mtrl.Runtime.Parameters.ParameterStore(layout);
            var teacher = (Mtrl.Runtime.Algorithms.IQNetwork)Activator.CreateInstance(student, teacherStore, 8)!;
            var arguments = new List<object?> { environment, new[] { teacher }, null, null };
            if (factory.GetParameters().Length == 5)
            {
                // A features output: the student's own features class, on the teacher's store, gives the teacher's features.
                var featureClass = type.GetNestedTypes().Single(t => typeof(Mtrl.Runtime.Algorithms.IFeatureNetwork).IsAssignableFrom(t));
                arguments.Add(new[] { (Mtrl.Runtime.Algorithms.IFeatureNetwork)Activator.CreateInstance(featureClass, teacherStore, 8)! });
            }
            trainer = factory.Invoke(null, arguments.ToArray());
            // Feature regression runs inside the update: make a few.
            if (agent.Training.Distill!.FeatureWeight > 0 && arguments.Count == 5) ((Mtrl.Runtime.Algorithms.ITrainer)trainer!).Train();
        }
        else
        {
            trainer = factory.Invoke(null, new[] { environment, null, null });
        }
        Assert.NotNull(trainer);
        var sequential = type.GetMethod("CreateSequentialTrainer");
        Assert.Equal(agent.Training.Schedule.Kind == ScheduleKind.Sequential, sequential is not null);
        trainerCreated?.Invoke(agent);
        (trainer as IDisposable)?.Dispose();
    }

    private static string Explain(List<Case> batch, IReadOnlyList<Diagnostic> errors)
    {
        var text = new StringBuilder();
        foreach (var group in errors.GroupBy(e => e.Location.SourceTree?.FilePath ?? e.Location.GetLineSpan().Path).Take(3))
        {
            var c = batch.FirstOrDefault(b => group.Key.Contains(b.Name + ".", StringComparison.Ordinal) || group.Key.EndsWith(b.Name + ".mtrl", StringComparison.Ordinal));
            text.Append($"--- {c?.Name ?? group.Key}\n{string.Join("\n", group.Take(4))}\n{c?.Text}\n");
        }
        return text.ToString();
    }
}
