using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Mtrl.Contracts;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Generated networks run: they agree exactly with the same network composed by hand from runtime
/// layers, and their gradients (parameters and, for critics, the action) match directional
/// finite differences.
/// </summary>
public partial class NetworkTests
{
    /// <summary>A compiled spec plus array-based wrappers around each network's span API.</summary>
    private sealed class Compiled
    {
        public Compiled(Assembly assembly, Dictionary<string, (Type Network, Type Wrapper, string[] Inputs)> networks, Type agent)
        {
            Assembly = assembly;
            Networks = networks;
            Agent = agent;
        }

        public Assembly Assembly { get; }
        public Dictionary<string, (Type Network, Type Wrapper, string[] Inputs)> Networks { get; }
        public Type Agent { get; }

        public ParameterLayout Layout() => (ParameterLayout)Agent.GetMethod("CreateLayout")!.Invoke(null, null)!;

        /// <summary>A network bound to <paramref name="store"/>; progressive networks get every column activated unless <paramref name="allColumns"/> is false.</summary>
        public object Create(string network, ParameterStore store, int maxBatch, bool allColumns = true)
        {
            var instance = Activator.CreateInstance(Networks[network].Network, store, maxBatch)!;
            var addColumn = Networks[network].Network.GetMethod("AddColumn");
            var tasks = (int)Agent.GetField("Tasks")!.GetRawConstantValue()!;
            if (allColumns && addColumn is not null)
            {
                for (var column = 1; column < tasks; column++) addColumn.Invoke(instance, null);
            }
            return instance;
        }

        /// <summary>Calls a wrapper method generated for <paramref name="network"/> (spans cannot go through reflection).</summary>
        public object? Call(string network, string method, params object[] arguments) =>
            Networks[network].Wrapper.GetMethod(method)!.Invoke(null, arguments);

        /// <summary>Bytes the calling thread allocates over <paramref name="repeats"/> Forward + Backward pairs after a warm-up, in the best of four windows.</summary>
        public long Allocations(string network, object instance, Dictionary<string, float[]> inputs, int[] tasks, int batch, float[] gradient, int repeats) =>
            (long)Call(network, "Allocations", instance, Networks[network].Inputs.Select(i => inputs[i]).ToArray(), tasks, batch, gradient, repeats)!;

        public float[] Forward(string network, object instance, Dictionary<string, float[]> inputs, int[] tasks, int batch) =>
            (float[])Networks[network].Wrapper.GetMethod("Forward")!.Invoke(null, new object[] { instance, Networks[network].Inputs.Select(i => inputs[i]).ToArray(), tasks, batch })!;

        public void Backward(string network, object instance, float[] gradient) =>
            Networks[network].Wrapper.GetMethod("Backward")!.Invoke(null, new object[] { instance, gradient });

        public float[]? ActionGradient(string network, object instance) =>
            (float[]?)Networks[network].Wrapper.GetMethod("ActionGradient")!.Invoke(null, new object[] { instance });
    }

    private static Compiled Compile(string specText, string agentName)
    {
        var (_, output, _) = GeneratorHarness.Run(new[] { new MtrlText("/specs/n.mtrl", specText) });
        var networks = new Dictionary<string, (Type, Type, string[])>();
        // First pass: find the network classes and their Forward signatures.
        var agentSymbol = output.GetTypeByMetadataName($"Consumer.Agents.{agentName}")!;
        var wrappers = new StringBuilder("namespace Consumer.Harness {\n");
        var found = new List<(string Network, string[] Inputs)>();
        foreach (var nested in agentSymbol.GetTypeMembers().Where(t => t.Name.EndsWith("Network", StringComparison.Ordinal) || t.Name.EndsWith("Features", StringComparison.Ordinal)))
        {
            // The typed overload; q networks also have Forward(in NetworkInputs), tested separately.
            var forward = nested.GetMembers("Forward").OfType<IMethodSymbol>().Single(m => m.Parameters.All(p => p.Type.Name != "NetworkInputs"));
            var names = forward.Parameters.Select(p => p.Name).ToArray();
            var inputs = names.Where(n => n != "task" && n != "batch").ToArray();
            var arguments = names.Select(n => n switch
            {
                "task" => "tasks",
                "batch" => "batch",
                _ => $"inputs[{Array.IndexOf(inputs, n)}]",
            });
            var type = $"global::Consumer.Agents.{agentName}.{nested.Name}";
            var hasAction = nested.GetMembers("ActionGradient").Any();
            var inspectors = new StringBuilder();
            foreach (var member in nested.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary && m.Name.EndsWith("RoutingProbabilities", StringComparison.Ordinal)))
            {
                inspectors.Append($"    public static float[] {member.Name}(object network, int layer) => (({type})network).{member.Name}(layer).ToArray();\n");
            }
            foreach (var member in nested.GetMembers().OfType<IPropertySymbol>().Where(m => m.Name.EndsWith("GateProbabilities", StringComparison.Ordinal)))
            {
                inspectors.Append($"    public static float[] {member.Name}(object network) => (({type})network).{member.Name}.ToArray();\n");
            }
            wrappers.Append($$"""
                public static class {{nested.Name}}Wrapper
                {
                    public static float[] Forward(object network, float[][] inputs, int[] tasks, int batch) => (({{type}})network).Forward({{string.Join(", ", arguments)}}).ToArray();
                    public static void Backward(object network, float[] gradient) => (({{type}})network).Backward(gradient);
                    public static float[]? ActionGradient(object network) => {{(hasAction ? $"(({type})network).ActionGradient.ToArray()" : "null")}};
                    public static long Allocations(object instance, float[][] inputs, int[] tasks, int batch, float[] gradient, int repeats)
                    {
                        var network = ({{type}})instance;
                        network.Forward({{string.Join(", ", arguments)}});
                        network.Backward(gradient);
                        // A one-off runtime allocation (tiering, a timer) may land in a window; a per-call one lands in every window.
                        long allocated = 0;
                        for (var window = 0; window < 4; window++)
                        {
                            var before = global::System.GC.GetAllocatedBytesForCurrentThread();
                            for (var i = 0; i < repeats; i++)
                            {
                                network.Forward({{string.Join(", ", arguments)}});
                                network.Backward(gradient);
                            }
                            allocated = global::System.GC.GetAllocatedBytesForCurrentThread() - before;
                            if (allocated == 0) break;
                        }
                        return allocated;
                    }
                {{inspectors}}}

                """);
            found.Add((nested.Name, inputs));
        }
        if (agentName == "PathNetCartPole")
        {
            wrappers.Append($$"""
                public static class PathwaySetter
                {
                    public static void Set(object network, int task, int layer, int[] modules) => ((global::Consumer.Agents.{{agentName}}.QNetwork)network).SetPathway(task, layer, modules);
                }

                """);
        }
        wrappers.Append("}\n");
        var withWrappers = output.AddSyntaxTrees(CSharpSyntaxTree.ParseText(wrappers.ToString(), new CSharpParseOptions(LanguageVersion.Latest)));
        using var stream = new MemoryStream();
        var emitted = withWrappers.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = Assembly.Load(stream.ToArray());
        foreach (var (network, inputs) in found)
        {
            networks[network] = (assembly.GetType($"Consumer.Agents.{agentName}+{network}", true)!, assembly.GetType($"Consumer.Harness.{network}Wrapper", true)!, inputs);
        }
        return new Compiled(assembly, networks, assembly.GetType($"Consumer.Agents.{agentName}", true)!);
    }

    private static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    [Fact]
    public void BitFlipQNetworkAgreesExactlyWithAHandComposedNetwork()
    {
        var compiled = Compile(File.ReadAllText(Path.Combine(GeneratorHarness.SpecsDirectory, "her_bitflip.mtrl")), "BitFlipHer");
        var layout = compiled.Layout();
        var generatedStore = new ParameterStore(layout);
        var handStore = new ParameterStore(layout);
        generatedStore.Initialize(3);
        handStore.Initialize(3);
        const int batch = 7;
        var network = compiled.Create("QNetwork", generatedStore, batch);
        var bits = Random(batch * 40, 1);
        var target = Random(batch * 40, 2);
        var y = compiled.Forward("QNetwork", network, new() { ["bits"] = bits, ["target"] = target }, Array.Empty<int>(), batch);

        // The same network from runtime layers.
        var concat = new Concat(40, 40);
        var fc0 = new Linear(handStore, layout["q.h.fc0.weight"], layout["q.h.fc0.bias"]);
        var fc1 = new Linear(handStore, layout["q.h.fc1.weight"], layout["q.h.fc1.bias"]);
        var head = new Linear(handStore, layout["q.q.weight"], layout["q.q.bias"]);
        var relu = new Activation(ActivationKind.Relu);
        float[] x = new float[batch * 80], a0 = new float[batch * 256], h0 = new float[batch * 256], a1 = new float[batch * 256], h1 = new float[batch * 256], q = new float[batch * 40];
        concat.Forward(0, bits, x, batch);
        concat.Forward(1, target, x, batch);
        fc0.Forward(x, a0, batch);
        relu.Forward(a0, h0, a0.Length);
        fc1.Forward(h0, a1, batch);
        relu.Forward(a1, h1, a1.Length);
        head.Forward(h1, q, batch);
        Assert.Equal(q, y);

        var dy = Random(batch * 40, 3);
        compiled.Backward("QNetwork", network, dy);
        float[] dh1 = new float[h1.Length], da1 = new float[a1.Length], dh0 = new float[h0.Length], da0 = new float[a0.Length];
        head.Backward(h1, dy, dh1, batch);
        relu.Backward(a1, h1, dh1, da1, a1.Length);
        fc1.Backward(h0, da1, dh0, batch);
        relu.Backward(a0, h0, dh0, da0, a0.Length);
        fc0.Backward(x, da0, Span<float>.Empty, batch);
        Assert.Equal(handStore.Gradients, generatedStore.Gradients);
    }

    private const string Conditioned = """
        agent Probe {
          tasks: 3
          input obs: 5
          goal target: 2
          action: continuous(2)
          block task_encoder = embedding(dim: 4)
          block trunk = mlp(widths: [6], activation: tanh, layer_norm: true)
          network actor {
            z = task_encoder(task)
            shared = trunk(obs)
            h = mlp(concat(detach(shared), target), widths: [5, 4], activation: elu, film: z)
            m = film(h, by: z)
            out a = gaussian(heads(m, widths: [3], activation: gelu), per_task: true)
          }
          network critic {
            z = task_encoder(task)
            e = trunk(obs)
            x = concat(e, action, onehot(task), e)
            h = linear(x, width: 5, activation: leaky_relu)
            out q = q_values(concat(h, action), per_task: true)
          }
          train sac { }
        }
        """;

    public static TheoryData<string, string, string> Networks()
    {
        var data = new TheoryData<string, string, string>
        {
            { "probe", "Probe", "ActorNetwork" },
            { "probe", "Probe", "CriticNetwork" },
            { "modular", "ModularProbe", "ActorNetwork" },
            { "modular", "ModularProbe", "CriticNetwork" },
            { "edges", "EdgeProbe", "QNetwork" },
            { "relu", "ReluProbe", "ActorNetwork" },
            { "relu", "ReluProbe", "CriticNetwork" },
            { "modular_relu", "ModularReluProbe", "QNetwork" },
            { "soft_module", "SoftModuleProbe", "QNetwork" },
            { "features", "FeatureTeacher", "QFeatures" },
            { "features", "FeatureStudent", "QNetwork" },
            { "features", "FeatureStudent", "QFeatures" },
            { "features", "FeatureCritic", "CriticFeatures" },
        };
        foreach (var file in GeneratorHarness.ExampleFiles)
        {
            var model = Mtrl.Dsl.SpecCompiler.Compile(file, File.ReadAllText(file)).Model;
            foreach (var agent in model.Agents)
            {
                foreach (var network in agent.Networks)
                {
                    data.Add(Path.GetFileName(file), agent.Name, NetworkEmitter.ClassName(network));
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void GradientsMatchDirectionalFiniteDifferences(string spec, string agentName, string networkName)
    {
        var text = SpecText(spec);
        var compiled = Compile(text, agentName);
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(11);
        // Non-trivial biases, gains and shifts so every path carries signal.
        foreach (var slice in layout.Slices.Where(s => s.Initializer.Kind is InitializerKind.Zeros or InitializerKind.Constant))
        {
            Random(slice.Length, slice.Index, 0.3f).CopyTo(store.ValuesOf(slice));
        }
        const int batch = 5;
        var network = compiled.Create(networkName, store, batch);
        var tasks = Enumerable.Range(0, batch).Select(i => i % (int)compiled.Agent.GetField("Tasks")!.GetRawConstantValue()!).ToArray();
        var inputs = new Dictionary<string, float[]>();
        var widths = compiled.Networks[networkName].Inputs.ToDictionary(i => i, i => i == "action"
            ? (int)compiled.Agent.GetField("ActionSize")!.GetRawConstantValue()!
            : (int)compiled.Agent.GetField(Mtrl.Dsl.Semantics.GeneratedNames.Pascal(i) + "Width")!.GetRawConstantValue()!);
        foreach (var (name, width) in widths) inputs[name] = Random(batch * width, name.Length + 31, 0.8f);

        var y = compiled.Forward(networkName, network, inputs, tasks, batch);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        var upstream = Random(y.Length, 77);
        double Loss() => compiled.Forward(networkName, network, inputs, tasks, batch).Zip(upstream, (a, b) => (double)a * b).Sum();

        store.ZeroGradients();
        compiled.Forward(networkName, network, inputs, tasks, batch);
        compiled.Backward(networkName, network, upstream);
        var gradient = store.Gradients.ToArray();
        var actionGradient = compiled.ActionGradient(networkName, network);

        // Parameters: L(θ ± εd) along a random direction d.
        // Small steps: ReLU kinks make larger ones unreliable; float32 noise bounds how small.
        var direction = Random(store.Values.Length, 5, 0.1f);
        // Parameters reached only through detach get no gradient by design: hold them still.
        foreach (var slice in DetachedSlices(text, agentName, networkName, layout)) direction.AsSpan(slice.Offset, slice.Length).Clear();
        var original = store.Values.ToArray();
        const float epsilon = 1e-3f;
        for (var i = 0; i < original.Length; i++) store.Values[i] = original[i] + epsilon * direction[i];
        var up = Loss();
        for (var i = 0; i < original.Length; i++) store.Values[i] = original[i] - epsilon * direction[i];
        var down = Loss();
        original.CopyTo(store.Values, 0);
        var numeric = (up - down) / (2 * epsilon);
        var analytic = gradient.Zip(direction, (g, d) => (double)g * d).Sum();
        Assert.True(Math.Abs(numeric - analytic) <= 2e-2 * Math.Max(1, Math.Abs(numeric)),
            $"{networkName}: directional derivative {numeric:G6} by finite differences, {analytic:G6} from Backward");

        if (actionGradient is not null)
        {
            var action = inputs["action"];
            var actionDirection = Random(action.Length, 9, 0.1f);
            var saved = action.ToArray();
            for (var i = 0; i < action.Length; i++) action[i] = saved[i] + epsilon * actionDirection[i];
            var upA = Loss();
            for (var i = 0; i < action.Length; i++) action[i] = saved[i] - epsilon * actionDirection[i];
            var downA = Loss();
            saved.CopyTo(action, 0);
            var numericA = (upA - downA) / (2 * epsilon);
            var analyticA = actionGradient.Zip(actionDirection, (g, d) => (double)g * d).Sum();
            Assert.True(Math.Abs(numericA - analyticA) <= 2e-2 * Math.Max(1, Math.Abs(numericA)),
                $"{networkName}: action derivative {numericA:G6} by finite differences, {analyticA:G6} from Backward");
        }
    }

    private static string SpecText(string spec) => spec switch
    {
        "probe" => Conditioned,
        "modular" => Modular,
        "edges" => Edges,
        "relu" => ReluChains,
        "modular_relu" => ModularRelu,
        "soft_module" => SoftModuleTwinSpec,
        "features" => FeatureSpecs,
        _ => File.ReadAllText(Path.Combine(GeneratorHarness.SpecsDirectory, spec)),
    };

    /// <summary>Slices of nodes the output reaches only through detach, computed from the semantic model.</summary>
    private static IEnumerable<ParameterSlice> DetachedSlices(string text, string agentName, string networkName, ParameterLayout layout)
    {
        var agent = Mtrl.Dsl.SpecCompiler.Compile("n.mtrl", text).Model.Agents.Single(a => a.Name == agentName);
        var network = agent.Networks.Single(n => NetworkEmitter.ClassName(n) == networkName || n.Features is not null && NetworkEmitter.FeatureClassName(n) == networkName);
        // A features class trains what its features output reads; the network's head is not part of it.
        var output = NetworkEmitter.ClassName(network) == networkName ? network.Output : network.Features!;
        var nodes = network.Features is { } features ? network.Nodes.Append(features).ToList() : network.Nodes.ToList();
        var trained = new HashSet<string> { output.Name };
        foreach (var node in Enumerable.Reverse(nodes))
        {
            if (!trained.Contains(node.Name) || node.Op is Mtrl.Dsl.Model.DetachOp) continue;
            foreach (var input in node.Inputs) trained.Add(input.Source);
        }
        var owners = new HashSet<string>(nodes.Where(n => trained.Contains(n.Name)).Select(n => n.Block ?? n.Name));
        return network.Parameters.Where(p => !owners.Contains(p.Node)).Select(p => layout[p.Name]);
    }

    [Fact]
    public void PathNetSamplesUseOnlyTheirTasksPathway()
    {
        var compiled = Compile(File.ReadAllText(Path.Combine(GeneratorHarness.SpecsDirectory, "pathnet_dqn.mtrl")), "PathNetCartPole");
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(4);
        var type = compiled.Networks["QNetwork"].Network;
        var network = compiled.Create("QNetwork", store, 6);
        var getPathway = type.GetMethod("GetPathway")!;
        // Spans cannot go through reflection, so SetPathway is called through a compiled wrapper.
        var setPathway = compiled.Assembly.GetType("Consumer.Harness.PathwaySetter")!.GetMethod("Set")!;
        Assert.Equal(new[] { 0, 1, 2, 3 }, (int[])getPathway.Invoke(network, new object[] { 1, 2 })!);

        // Task 1 moves to modules 5 and 7 in every layer; a batch of task 1 only trains those.
        foreach (var layer in Enumerable.Range(0, 3)) setPathway.Invoke(null, new object[] { network, 1, layer, new[] { 5, 7 } });
        Assert.Equal(new[] { 5, 7 }, (int[])getPathway.Invoke(network, new object[] { 1, 0 })!);
        var inputs = new Dictionary<string, float[]> { ["state"] = Random(6 * 4, 8) };
        var y = compiled.Forward("QNetwork", network, inputs, Enumerable.Repeat(1, 6).ToArray(), 6);
        compiled.Backward("QNetwork", network, Random(y.Length, 9));
        foreach (var slice in layout.Slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Module))
        {
            var onPath = slice.Owner.Index2 is 5 or 7;
            Assert.Equal(onPath, store.GradientsOf(slice).ToArray().Any(g => g != 0f));
        }
        var error = Assert.Throws<TargetInvocationException>(() => setPathway.Invoke(null, new object[] { network, 0, 0, new[] { 1, 2, 3, 4, 5 } }));
        Assert.Contains("1 to 4 modules", error.InnerException!.Message);
    }

    [Fact]
    public void DetachKeepsTheActorFromTrainingASharedBlock()
    {
        var compiled = Compile(Conditioned, "Probe");
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(2);
        var actor = compiled.Create("ActorNetwork", store, 4);
        var inputs = new Dictionary<string, float[]> { ["obs"] = Random(20, 1), ["target"] = Random(8, 2) };
        var y = compiled.Forward("ActorNetwork", actor, inputs, new[] { 0, 1, 2, 0 }, 4);
        compiled.Backward("ActorNetwork", actor, Random(y.Length, 3));
        Assert.All(layout.Slices.Where(s => s.Name.StartsWith("trunk.", StringComparison.Ordinal)), s => Assert.All(store.GradientsOf(s).ToArray(), g => Assert.Equal(0f, g)));
        Assert.Contains(store.GradientsOf(layout["task_encoder.table"]).ToArray(), g => g != 0f);
    }
}
