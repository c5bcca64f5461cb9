using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Generators.Planning;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// The lowering from spec model to <see cref="NetworkPlan"/> on its own: which nodes need
/// gradients, the workspaces and layers each network gets, its steps, the slices module blocks
/// read (with their loop indices), and plan equality, which the generator's caching relies on.
/// </summary>
public sealed class NetworkPlanTests
{
    /// <summary>A shared ReLU encoder: the critic trains it, the actor reads it through detach.</summary>
    private const string SharedEncoder = """
        agent Shared {
          tasks: 2
          input obs: 3
          action: continuous(2)
          block encoder = mlp(widths: [8, 6], activation: relu)
          network actor {
            f = detach(encoder(obs))
            out pi = gaussian(f, per_task: true)
          }
          network critic {
            z = encoder(obs)
            c = concat(z, action)
            out q = q_values(c)
          }
          train sac { }
        }
        """;

    private static string TestSpecDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "Specs");

    private static AgentModel Agent(string text)
    {
        var result = Mtrl.Dsl.SpecCompiler.Compile("plan.mtrl", text);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Select(d => d.Message)));
        return result.Model.Agents.Single();
    }

    private static NetworkPlan Plan(string text, string network)
    {
        var agent = Agent(text);
        return NetworkLowering.Lower(agent, agent.Networks.Single(n => n.Name == network));
    }

    private static NetworkPlan Example(string file, string network) => Plan(File.ReadAllText(Path.Combine(GeneratorHarness.SpecsDirectory, file)), network);

    private static int Allocated(NetworkPlan plan, string field) =>
        plan.Constructor.OfType<AllocateBuffer>().Where(b => b.Field == field).Select(b => b.Width).Single();

    private static NamedWidth? NamedAllocation(NetworkPlan plan, string field) =>
        plan.Constructor.OfType<AllocateBuffer>().Single(b => b.Field == field).Named;

    private static T Block<T>(NetworkPlan plan) where T : BlockPlan => plan.Forward.OfType<BlockForward>().Select(f => f.Block).OfType<T>().Single();

    [Fact]
    public void TheCriticTrainsTheSharedEncoderAndGivesTheActionGradient()
    {
        var plan = Plan(SharedEncoder, "critic");
        Assert.Equal(RowContract.CriticNetwork, plan.Contract);
        Assert.Equal(new[] { "z", "c", "q" }, plan.NodesNeedingGradient);
        Assert.True(plan.Inputs.TakesActionGradient);
        Assert.Equal(new[] { "encoder", "critic.q" }, plan.TrainedPrefixes);
        // Workspaces with their widths: the input, each node's value, the hidden ReLU output, the gradients.
        Assert.Equal(3, Allocated(plan, "_obs"));
        Assert.Equal(6, Allocated(plan, "_z"));
        Assert.Equal(8, Allocated(plan, "_z_hidden0"));
        Assert.Equal(6, Allocated(plan, "_z_grad"));
        Assert.Equal(6, Allocated(plan, "_z_affine1Grad"));
        Assert.Equal(8, Allocated(plan, "_z_affine0Grad"));
        Assert.Equal(8, Allocated(plan, "_c"));
        Assert.Contains(new AllocateActionBuffer("_dAction"), plan.Constructor);
        // Named widths: the input's agent constant, z's own constant for its value, gradient and the
        // gradient at its last layer (6 wide); the 8-wide hidden layer is not z's width, so it stays a number.
        Assert.Equal(new NamedWidth("ObsWidth", 1), NamedAllocation(plan, "_obs"));
        Assert.Equal(new NamedWidth("ZWidth", 1), NamedAllocation(plan, "_z"));
        Assert.Equal(new NamedWidth("ZWidth", 1), NamedAllocation(plan, "_z_grad"));
        Assert.Equal(new NamedWidth("ZWidth", 1), NamedAllocation(plan, "_z_affine1Grad"));
        Assert.Null(NamedAllocation(plan, "_z_hidden0"));
        Assert.Equal(new NamedWidth("CWidth", 1), NamedAllocation(plan, "_c"));
        // The output node's width is OutputWidth, declared anyway; the others are declared in node order.
        Assert.Equal(new[] { ("ZWidth", 6, "z"), ("CWidth", 8, "c") }, plan.WidthConstants.Select(c => (c.Name, c.Value, c.Node)));
        // The encoder's layers read the block's slices, literally named.
        Assert.Contains(new CreateLayer("_z_fc0", new LinearCreation(SliceName.Literal("encoder.fc0"))), plan.Constructor);
        Assert.Contains(new CreateLayer("_z_fc1", new LinearCreation(SliceName.Literal("encoder.fc1"))), plan.Constructor);
        // Forward: each ReLU runs inside its affine call.
        var z = plan.Forward.SkipWhile(s => s != new NodeStart("z", "mlp")).Skip(1).TakeWhile(s => s is not NodeStart).ToList();
        Assert.Equal(new ForwardStep[]
        {
            new AffineForward("_z_fc0", "_obs", "_z_hidden0", AffineMode.FusedRelu),
            new AffineForward("_z_fc1", "_z_hidden0", "_z", AffineMode.FusedRelu),
        }, z);
        Assert.Equal(new ForwardStep[] { new ConcatForward("_c_layer", 0, "_z", "_c"), new ConcatForward("_c_layer", 1, "_action", "_c") },
            plan.Forward.OfType<ConcatForward>());
        // Backward runs the nodes in reverse; the last ReLU masks by its output, the next layer
        // goes through the ReLU it reads, and obs (an input) takes no gradient.
        Assert.Equal(new[] { "q", "c", "z" }, plan.Backward.Select(b => b.Node));
        Assert.Equal(new BackwardStep[]
        {
            new ActivationBackward("_z_activation1", "_z", "_z", "_z_grad", "_z_affine1Grad", 6, new NamedWidth("ZWidth", 1)),
            new AffineBackward("_z_fc1", "_z_hidden0", "_z_affine1Grad", "_z_affine0Grad", AffineBackwardMode.ThroughRelu),
            new AffineBackward("_z_fc0", "_obs", "_z_affine0Grad", null, AffineBackwardMode.Plain),
        }, plan.Backward.Single(b => b.Node == "z").Steps);
        Assert.Equal(new BackwardStep[] { new ConcatBackward("_c_layer", 0, "_c_grad", "_z_grad"), new ConcatBackward("_c_layer", 1, "_c_grad", "_dAction") },
            plan.Backward.Single(b => b.Node == "c").Steps);
        // No gradient sums several parts here: nothing is cleared on entry and no scratch exists.
        Assert.Empty(plan.SummedGradients);
        Assert.DoesNotContain(plan.Fields, f => f.Name == FieldNames.Scratch);
    }

    [Fact]
    public void TheActorReadsTheEncoderThroughDetachAndTrainsOnlyItsReadout()
    {
        var plan = Plan(SharedEncoder, "actor");
        Assert.Equal(RowContract.PolicyNetwork, plan.Contract);
        Assert.Equal(new[] { "pi" }, plan.NodesNeedingGradient);
        Assert.Equal(new[] { "actor.pi" }, plan.TrainedPrefixes);
        Assert.False(plan.Inputs.TakesActionGradient);
        // The encoder node has no backward steps and no gradient workspace.
        Assert.Equal(new[] { "pi" }, plan.Backward.Select(b => b.Node));
        Assert.DoesNotContain(plan.Fields, f => f.Name.EndsWith("Grad", StringComparison.Ordinal) || f.Name.EndsWith("_grad", StringComparison.Ordinal));
        // The per-task readout: one affine layer per task, its slices indexed by the task.
        Assert.Contains(new CreateLayer("_pi_fc0", new TaskLinearCreation(SliceName.Indexed("actor.pi.task{t}", LoopIndex.Task))), plan.Constructor);
        Assert.True(plan.Modular.UsesTaskSlices);
        Assert.Contains(new AffineForward("_pi_fc0", "_f", "_pi", AffineMode.PerTask), plan.Forward);
        Assert.Equal(new BackwardStep[] { new AffineBackward("_pi_fc0", "_f", "outputGradient", null, AffineBackwardMode.PerTask) }, plan.Backward.Single().Steps);
        Assert.Equal(new NetworkSummary("policy", "actor", 6, "gaussian", GaussianOutput: true, OutputWidth: 4), plan.Header);
    }

    [Fact]
    public void AGradientSummedFromSeveralConsumersGoesThroughScratchAndIsClearedOnEntry()
    {
        const string text = """
            agent Sum {
              input obs: 3
              action: discrete(2)
              network q {
                h = linear(obs, width: 4)
                a = linear(h, width: 3)
                b = linear(h, width: 5)
                out q = q_values(concat(a, b))
              }
              train dqn { }
            }
            """;
        var plan = Plan(text, "q");
        Assert.Equal(new[] { new SummedGradientClear("_h_grad", 4, IsAction: false, new NamedWidth("HWidth", 1)) }, plan.SummedGradients);
        // Scratch is as wide as the widest gradient it stands in for.
        Assert.Equal(4, Allocated(plan, FieldNames.Scratch));
        Assert.Equal(new BackwardStep[]
        {
            new AffineBackward("_a_fc0", "_h", "_a_grad", FieldNames.Scratch, AffineBackwardMode.Plain),
            new AccumulateGradient("_h_grad", FieldNames.Scratch, 4, new NamedWidth("HWidth", 1)),
        }, plan.Backward.Single(b => b.Node == "a").Steps);
    }

    [Fact]
    public void APathNetGridReadsItsModulesByLayerAndModule()
    {
        var plan = Example("pathnet_dqn.mtrl", "q");
        var grid = Assert.Single(plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation).OfType<PathNetGridAllocation>());
        Assert.Equal(new PathNetGridAllocation("h", 3, 10, 20, Fused: true, SliceName.Indexed("q.h.module{layer}_{module}", LoopIndex.Layer | LoopIndex.Module)), grid);
        Assert.Equal(new PathwayControls("h", 3, 10, 4, "_h_pathways", "_h_modules", new EquatableArray<string>(new[] { "q.q." })), plan.Modular.Pathways);
        Assert.True(plan.Modular.UsesOwnedSlices);
        var block = Block<PathNetPlan>(plan);
        // The grid reads the state, an input: the backward adds no input gradient.
        Assert.Equal(new PathNetPlan("h", "_state", 4, 3, 10, 20, Fused: true, NeedsGradient: true, "_h_grad", new SummedGradient(null, false, 4)), block);
        Assert.Equal(new BackwardStep[] { new BlockBackward(block) }, plan.Backward.Single(b => b.Node == "h").Steps);
        Assert.Equal(10, Allocated(plan, "_h_weights0"));
        Assert.Equal(200, Allocated(plan, "_h_grid2"));
        Assert.Equal(20, Allocated(plan, "_h_layer1Grad"));
        Assert.Contains(new FieldPlan("_h_modules", FieldElement.Linear, 2), plan.MatrixLayers);
    }

    [Fact]
    public void ProgressiveColumnsAndLateralsReadTheirSlicesByColumn()
    {
        var plan = Example("progressive_dqn.mtrl", "q");
        var allocations = plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation).ToList();
        Assert.Equal(new[]
        {
            SliceName.Indexed("q.h.col{column}.fc0", LoopIndex.Column),
            SliceName.Indexed("q.h.col{column}.fc1", LoopIndex.Column),
        }, allocations.OfType<ColumnLayerAllocation>().Select(a => a.Affine));
        // Layer 0 has no laterals, so its ReLU is fused; layer 1 adds laterals first.
        Assert.Equal(new[] { true, false }, allocations.OfType<ColumnLayerAllocation>().Select(a => a.Fused));
        var lateral = Assert.Single(allocations.OfType<LateralAllocation>());
        Assert.Equal(SliceName.Indexed("q.h.col{column}.lateral1.alpha", LoopIndex.Column), lateral.Alpha);
        Assert.Equal(SliceName.Indexed("q.h.col{column}.lateral1.reduce", LoopIndex.Column), lateral.Reduce);
        Assert.Equal("q.h.col{column}.lateral1.up.weight", lateral.Up.Weight.Name);
        Assert.Equal((128, 32), (lateral.InputWidth, lateral.Reduction));
        Assert.Contains(new StartActiveColumns(FieldNames.ActiveColumns), plan.Constructor);
        Assert.Contains(new FieldPlan(FieldNames.ActiveColumns, FieldElement.Int, ReadOnly: false), plan.Fields);
        Assert.Equal(new[] { "q.h." }, plan.Modular.Columns!.Prefixes);
        var block = Block<ProgressivePlan>(plan);
        Assert.Equal(plan.Constructor.OfType<AllocateBlock>().Count(a => a.Allocation is ColumnGradientAllocation), block.Widths.Count);
        Assert.Equal(InputGradient.None, block.InputGradient);
    }

    [Fact]
    public void SoftModularGridsReadModulesByLayerAndModuleAndOfferRouting()
    {
        var plan = Example("soft_modular_sac.mtrl", "critic");
        var grid = Assert.Single(plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation).OfType<SoftModularGridAllocation>());
        Assert.Equal(SliceName.Indexed("critic.routed.module{layer}_{module}", LoopIndex.Layer | LoopIndex.Module), grid.ModuleAffine);
        Assert.Equal(("Post", true), (grid.OutputsRole, grid.MixedInputs));
        var block = Block<SoftModularPlan>(plan);
        Assert.Equal(SoftModularStyle.Mtrl, block.Style);
        Assert.Equal((4, 4, 128, 256), (block.Layers, block.Modules, block.Width, block.RoutingWidth));
        // Routing probabilities: one n×n workspace per routing layer, and their gradients.
        Assert.Contains(new LayerWorkspaces("_routed_probabilities", 3, 16, Allocated: true), plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation));
        Assert.Contains(new LayerWorkspaces("_routed_probabilitiesGrad", 3, 16, Allocated: true), plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation));
        Assert.Contains(new CreateLayer("_routed_routeIn", new LinearCreation(SliceName.Literal("critic.routed.route.in"))), plan.Constructor);
        Assert.Contains(new CreateLayer("_routed_down2", new LinearCreation(SliceName.Literal("critic.routed.route.down2"))), plan.Constructor);
        var routing = Assert.Single(plan.Modular.Routing);
        Assert.Equal(("routed", "", 4, 4), (routing.Node, routing.Qualifier, routing.Modules, routing.Layers));
        // Routing layers 1 and 2 both take their gradient through one up-projection workspace: allocated once.
        Assert.Single(plan.Constructor.OfType<AllocateBuffer>(), b => b.Field == "_routed_upOutGrad");
        Assert.Equal(plan.Fields.Count, plan.Fields.Distinct().Count());
    }

    [Fact]
    public void SoftModuleStyleConditionsOnEveryEarlierProbabilityAndRoutesGradientIntoBothInputs()
    {
        var text = File.ReadAllText(Path.Combine(TestSpecDirectory(), "soft_module_sac.mtrl"));
        var plan = Plan(text, "actor");
        var block = Block<SoftModularPlan>(plan);
        Assert.Equal(SoftModularStyle.SoftModule, block.Style);
        Assert.True(block.Gated);
        // The last condition (the gate's, l = 2) is [p⁰ | p¹]: a concatenation of two 4×4 matrices.
        Assert.Contains(new CreateLayer("_routed_earlier2", new ConcatCreation(new EquatableArray<int>(new[] { 16, 16 }))), plan.Constructor);
        Assert.Equal(32, Allocated(plan, "_routed_condition2"));
        var grid = Assert.Single(plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation).OfType<SoftModularGridAllocation>());
        Assert.Equal(("ModuleOutputs", true), (grid.OutputsRole, grid.MixedInputs));
        // base and emb are trained nodes: the routing input's product is differentiated into both.
        // x's gradient sums two parts (layer 0's modules through relu(x), and the routing input),
        // so Backward clears it on entry; by's has one and is written directly.
        Assert.True(block.RoutesInputGradient);
        Assert.Equal(new SummedGradient("_base_grad", ClearFirst: false, 64), block.InputGradient);
        Assert.Contains(new SummedGradientClear("_base_grad", 64, IsAction: false, new NamedWidth("BaseWidth", 1)), plan.SummedGradients);
        Assert.Equal(new InputGradient("_emb_grad", null), block.ByGradient);
        Assert.Equal(64, Allocated(plan, "_routed_baseActivationGrad"));
    }

    [Fact]
    public void APerTaskGateIsAPerTaskChainOverTheExpertSlices()
    {
        const string text = """
            agent Gate {
              tasks: 3
              input obs: 4
              action: discrete(2)
              network q {
                m = moe(obs, experts: 3, widths: [5, 6], gate: per_task)
                out q = q_values(m)
              }
              train dqn { }
            }
            """;
        var plan = Plan(text, "q");
        Assert.Empty(plan.Forward.OfType<BlockForward>());
        Assert.Contains(new CreateLayer("_m_fc0", new TaskLinearCreation(SliceName.Indexed("q.m.expert{t}.fc0", LoopIndex.Task))), plan.Constructor);
        Assert.Contains(new CreateLayer("_m_fc1", new TaskLinearCreation(SliceName.Indexed("q.m.expert{t}.fc1", LoopIndex.Task))), plan.Constructor);
        Assert.Contains(new AffineForward("_m_fc1", "_m_hidden0", "_m_affine1", AffineMode.PerTask), plan.Forward);
        Assert.True(plan.Inputs.UsesTasks);
    }

    [Fact]
    public void ExpertsReadTheirLayersByExpert()
    {
        var plan = Example("moe_sac.mtrl", "critic");
        var experts = Assert.Single(plan.Constructor.OfType<AllocateBlock>().Select(a => a.Allocation).OfType<ExpertAllocation>());
        Assert.Equal(new[]
        {
            SliceName.Indexed("encoder.expert{expert}.fc0", LoopIndex.Expert),
            SliceName.Indexed("encoder.expert{expert}.fc1", LoopIndex.Expert),
        }, experts.ExpertLayers);
        var block = Block<MoePlan>(plan);
        Assert.Equal(4, block.Experts);
        Assert.Equal(block.Experts, plan.Constructor.OfType<AllocateBuffer>().Single(b => b.Field == FieldNames.Field(block.Node, "Weights")).Width);
    }

    [Fact]
    public void TheSameSpecLowersToEqualPlansAndAChangedOneToADifferentPlan()
    {
        foreach (var file in GeneratorHarness.ExampleFiles)
        {
            var text = File.ReadAllText(file);
            var first = Agent(text);
            var second = Agent(text);
            foreach (var network in first.Networks)
            {
                var a = NetworkLowering.Lower(first, network);
                var b = NetworkLowering.Lower(second, second.Networks.Single(n => n.Name == network.Name));
                Assert.NotSame(a, b);
                Assert.Equal(a, b);
                Assert.Equal(a.GetHashCode(), b.GetHashCode());
            }
        }
        var wider = Plan(SharedEncoder.Replace("widths: [8, 6]", "widths: [8, 7]", StringComparison.Ordinal), "critic");
        Assert.NotEqual(Plan(SharedEncoder, "critic"), wider);
        Assert.Equal(7, Allocated(wider, "_z"));
        var tanh = Plan(SharedEncoder.Replace("activation: relu", "activation: tanh", StringComparison.Ordinal), "critic");
        Assert.NotEqual(Plan(SharedEncoder, "critic"), tanh);
        Assert.Contains(new ActivationForward("_z_activation0", "_z_affine0", "_z_hidden0", 8), tanh.Forward);
    }

    [Fact]
    public void PlanTypesHoldOnlyValueEquatableDataAndNoRoslynObjects()
    {
        var planning = typeof(NetworkPlan).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(NetworkPlan).Namespace && !(t.IsAbstract && t.IsSealed) && !t.IsNested)
            .Where(t => t != typeof(NetworkLowering) && t != typeof(FieldNames) && !t.Name.Contains('<'))
            .ToList();
        Assert.Contains(typeof(AffineForward), planning);
        Assert.Contains(typeof(PathNetPlan), planning);
        var seen = new HashSet<Type>();
        void Walk(Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string)) return;
            Assert.False(typeof(ISymbol).IsAssignableFrom(type), type.FullName);
            Assert.False(typeof(Compilation).IsAssignableFrom(type), type.FullName);
            Assert.False(typeof(SyntaxNode).IsAssignableFrom(type), type.FullName);
            Assert.NotEqual(typeof(Location), type);
            if (Nullable.GetUnderlyingType(type) is { } underlying)
            {
                Walk(underlying);
                return;
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
            {
                Walk(type.GetGenericArguments()[0]);
                return;
            }
            // Anything else must be a record of the plan (value equality), never a mutable collection or array.
            Assert.True(type.Namespace == typeof(NetworkPlan).Namespace, $"{type.FullName} is not a plan type");
            Assert.NotNull(type.GetMethod("<Clone>$"));
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract"))
            {
                Walk(property.PropertyType);
            }
        }
        foreach (var type in planning.Where(t => t.IsClass)) Walk(type);
        Assert.Contains(typeof(NetworkPlan), seen);
    }
}
