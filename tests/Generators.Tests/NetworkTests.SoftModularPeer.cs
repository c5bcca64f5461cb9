using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Both soft-modular styles against PyTorch's autograd through each reference's forward pass:
/// tests/Benchmarks/peers/soft_modular_peer.py read the weights and inputs this side exported,
/// ran RchalYang/Soft-Module's ModularGatedCascadeCondNet (style soft_module) and a network
/// following facebookresearch/mtrl's RoutingNetwork (style mtrl), and wrote their outputs and
/// parameter gradients into Fixtures/soft_modular_peer.json. CI needs no torch: the fixture is committed.
/// </summary>
public partial class NetworkTests
{
    /// <summary>The fixture's cases: (name, soft_modular settings), each on b = linear(obs), e = linear(onehot(task)).</summary>
    private static readonly (string Name, string Settings)[] PeerCases =
    {
        ("soft_module_2", "layers: 2, modules: 3, width: 4, routing: 6, style: soft_module"),
        ("soft_module_4", "layers: 4, modules: 3, width: 4, routing: 6, style: soft_module"),
        ("mtrl_2_mean", "layers: 2, modules: 3, width: 4, routing: 6, mix: mean, style: mtrl"),
        ("mtrl_3_gated", "layers: 3, modules: 3, width: 4, routing: 6, mix: gated, style: mtrl"),
    };

    private static string PeerSpec(string settings) => $$"""
        agent PeerProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            b = linear(obs, width: 5)
            e = linear(onehot(task), width: 5)
            s = soft_modular(b, by: e, {{settings}})
            out q = q_values(s)
          }
          train dqn { }
        }
        """;

    private static string FixturePath([CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "Fixtures", "soft_modular_peer.json");

    /// <summary>Our forward output and parameter gradients (by slice name) for one case's weights and inputs.</summary>
    private static (float[] Output, Dictionary<string, float[]> Gradients, float[][] Routing) RunPeerCase(string settings, Func<string, float[]>? weights, float[] obs, int[] tasks, float[] upstream, out ParameterStore store)
    {
        var compiled = Compile(PeerSpec(settings), "PeerProbe");
        var layout = compiled.Layout();
        store = new ParameterStore(layout);
        store.Initialize(29);
        if (weights is not null)
        {
            foreach (var slice in layout.Slices) weights(slice.Name).CopyTo(store.ValuesOf(slice));
        }
        store.ZeroGradients();
        var network = compiled.Create("QNetwork", store, tasks.Length);
        var output = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, tasks, tasks.Length);
        // The routing probabilities p⁰ … p^{L−2}, then the output gate g when there is one.
        var layers = (int)compiled.Networks["QNetwork"].Network.GetField("RoutingLayers")!.GetRawConstantValue()!;
        var routing = Enumerable.Range(0, layers).Select(l => (float[])compiled.Call("QNetwork", "RoutingProbabilities", network, l)!).ToList();
        if (compiled.Networks["QNetwork"].Wrapper.GetMethod("GateProbabilities") is not null) routing.Add((float[])compiled.Call("QNetwork", "GateProbabilities", network)!);
        compiled.Backward("QNetwork", network, upstream);
        var gradients = new Dictionary<string, float[]>();
        foreach (var slice in layout.Slices) gradients[slice.Name] = store.GradientsOf(slice).ToArray();
        return (output, gradients, routing.ToArray());
    }

    /// <summary>
    /// With MTRL_WRITE_SOFT_MODULAR_PEER_INPUTS=path, writes each case's spec settings, weights
    /// ([in, out] row-major, as the parameter store holds them), inputs, upstream gradient and our
    /// results for the peer script; otherwise checks that the cases still compile and run.
    /// </summary>
    [Fact]
    public void SoftModularPeerInputsCanBeExported()
    {
        var cases = new JsonArray();
        var tasks = MixedTasks;
        foreach (var (name, settings) in PeerCases)
        {
            var obs = Random(tasks.Length * 5, 31, 1.5f);
            var upstream = Random(tasks.Length * 2, 32);
            var (output, gradients, routing) = RunPeerCase(settings, null, obs, tasks, upstream, out var store);
            Assert.All(output, v => Assert.True(float.IsFinite(v)));
            var parameters = new JsonObject();
            foreach (var slice in store.Layout.Slices)
            {
                parameters[slice.Name] = new JsonObject
                {
                    ["rows"] = slice.Rows,
                    ["columns"] = slice.Columns,
                    ["values"] = Floats(store.ValuesOf(slice).ToArray()),
                    ["ours"] = Floats(gradients[slice.Name]),
                };
            }
            cases.Add(new JsonObject
            {
                ["name"] = name,
                ["settings"] = settings,
                ["tasks"] = new JsonArray(tasks.Select(t => (JsonNode)t).ToArray()),
                ["obs"] = Floats(obs),
                ["upstream"] = Floats(upstream),
                ["ours"] = Floats(output),
                ["ours_routing"] = new JsonArray(routing.Select(r => (JsonNode)Floats(r)).ToArray()),
                ["parameters"] = parameters,
            });
        }
        var path = Environment.GetEnvironmentVariable("MTRL_WRITE_SOFT_MODULAR_PEER_INPUTS");
        if (!string.IsNullOrEmpty(path)) File.WriteAllText(path, new JsonObject { ["cases"] = cases }.ToJsonString());
        Assert.Equal(PeerCases.Length, cases.Count);
    }

    private static JsonArray Floats(float[] values) => new(values.Select(v => (JsonNode)(double)v).ToArray());

    private static float[] Floats(JsonNode node) => node.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();

    /// <summary>
    /// Forward outputs and every parameter gradient agree with PyTorch's through the references, to
    /// float32 precision (relative to each tensor's largest entry), on the committed weights and inputs.
    /// </summary>
    [Fact]
    public void SoftModularMatchesBothReferencesInThePeerFixture()
    {
        var fixture = JsonNode.Parse(File.ReadAllText(FixturePath()))!;
        var checkedCases = 0;
        foreach (var entry in fixture["cases"]!.AsArray())
        {
            var name = entry!["name"]!.GetValue<string>();
            var settings = entry["settings"]!.GetValue<string>();
            var parameters = entry["parameters"]!.AsObject();
            var tasks = entry["tasks"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
            var (output, gradients, routing) = RunPeerCase(settings, slice => Floats(parameters[slice]!["values"]!), Floats(entry["obs"]!), tasks, Floats(entry["upstream"]!), out _);
            AssertFloat32Close(Floats(entry["expected"]!["output"]!), output, $"{name} output");
            var expectedRouting = entry["expected"]!["routing"]!.AsArray();
            Assert.Equal(expectedRouting.Count, routing.Length);
            for (var l = 0; l < routing.Length; l++) AssertFloat32Close(Floats(expectedRouting[l]!), routing[l], $"{name} routing {l}");
            Assert.Equal(parameters.Count, gradients.Count);
            foreach (var (slice, expected) in entry["expected"]!["gradients"]!.AsObject())
            {
                AssertFloat32Close(Floats(expected!), gradients[slice], $"{name} {slice} gradient");
            }
            checkedCases++;
        }
        Assert.Equal(PeerCases.Select(c => c.Name), fixture["cases"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(PeerCases.Length, checkedCases);
    }

    /// <summary>Every entry within 1e-5 of the tensor's largest magnitude (float32 rounding through a few dozen operations).</summary>
    private static void AssertFloat32Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(expected.Max(v => Math.Abs(v)), 1e-6f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale + 1e-7,
                $"{what}[{i}]: PyTorch {expected[i]:G9}, generated {actual[i]:G9} (tensor scale {scale:G4})");
        }
    }
}
