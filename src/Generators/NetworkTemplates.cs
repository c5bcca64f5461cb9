using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// The fixed member blocks of generated networks as raw-string templates: written line by line at
/// the class's indentation (NetworkEmitter.WriteTemplate), a leading empty line separating each
/// from the member before it. Only names and numbers from the plan are filled in.
/// </summary>
internal static class NetworkTemplates
{
    /// <summary>The body of a UseGemm loop over layers.</summary>
    public const string ConfigureLayer = """
        {
            layer.Backend = backend;
            layer.Accelerator = accelerator;
        }
        """;

    /// <summary>The per-task slices of a TaskLinear, by a name template over the task.</summary>
    public const string TaskSlices = """

        private static ParameterSlice[] TaskSlices(ParameterLayout layout, Func<int, string> name)
        {
            var slices = new ParameterSlice[Tasks];
            for (var t = 0; t < Tasks; t++) slices[t] = layout[name(t)];
            return slices;
        }
        """;

    /// <summary>The slices of one owner under some prefixes (freezing a pathway or column).</summary>
    public const string OwnedSlices = """

        /// <summary>The slices owned by <paramref name="owner"/> whose names start with one of <paramref name="prefixes"/>.</summary>
        private static System.Collections.Generic.List<ParameterSlice> OwnedSlices(ParameterLayout layout, ParameterOwner owner, params string[] prefixes)
        {
            var slices = new System.Collections.Generic.List<ParameterSlice>();
            foreach (var slice in layout.Slices)
            {
                if (slice.Owner != owner) continue;
                foreach (var prefix in prefixes)
                {
                    if (!slice.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                    slices.Add(slice);
                    break;
                }
            }
            return slices;
        }
        """;

    /// <summary>String literals of slice-name prefixes, as arguments.</summary>
    private static string Prefixes(Dsl.EquatableArray<string> prefixes) => string.Join(", ", prefixes.Select(p => $"\"{p}\""));

    /// <summary>PathNet's pathway get/set (validated), freezing, the default pathways and the per-sample 0/1 module weights.</summary>
    public static string PathwayMembers(PathwayControls p)
    {
        var readouts = p.ReadoutPrefixes.Count > 0;
        var readoutDoc = readouts ? " and its readout" : "";
        var readoutFreeze = readouts
            ? $"\n    foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Task(task), {Prefixes(p.ReadoutPrefixes)})) _store.SetFrozen(slice, true);"
            : "";
        return $$"""

            /// <summary>PathNet grid <c>{{p.Node}}</c>: {{Int(p.Layers)}} layers of {{Int(p.Modules)}} modules, at most {{Int(p.Active)}} active per layer.</summary>
            public const int PathLayers = {{Int(p.Layers)}};

            /// <summary>Modules per layer of the grid.</summary>
            public const int PathModules = {{Int(p.Modules)}};

            /// <summary>Most modules a pathway may use in one layer.</summary>
            public const int PathActive = {{Int(p.Active)}};

            /// <summary>Sets the modules task <paramref name="task"/> uses in <paramref name="layer"/> (1 to PathActive distinct modules in [0, PathModules)).</summary>
            public void SetPathway(int task, int layer, ReadOnlySpan<int> modules)
            {
                if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {Tasks})");
                if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {PathLayers})");
                if (modules.Length < 1 || modules.Length > PathActive) throw new ArgumentOutOfRangeException(nameof(modules), modules.Length, $"a pathway uses 1 to {PathActive} modules per layer");
                Span<float> row = stackalloc float[PathModules];
                foreach (var module in modules)
                {
                    if ((uint)module >= PathModules) throw new ArgumentOutOfRangeException(nameof(modules), module, $"modules must be in [0, {PathModules})");
                    if (row[module] != 0f) throw new ArgumentException($"module {module} is listed twice", nameof(modules));
                    row[module] = 1f;
                }
                row.CopyTo({{p.PathwaysField}}.AsSpan((task * PathLayers + layer) * PathModules, PathModules));
            }

            /// <summary>The modules task <paramref name="task"/> uses in <paramref name="layer"/>.</summary>
            public int[] GetPathway(int task, int layer)
            {
                if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {Tasks})");
                if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {PathLayers})");
                var row = {{p.PathwaysField}}.AsSpan((task * PathLayers + layer) * PathModules, PathModules);
                var modules = new System.Collections.Generic.List<int>();
                for (var module = 0; module < PathModules; module++) if (row[module] != 0f) modules.Add(module);
                return modules.ToArray();
            }

            /// <summary>Freezes the modules on task <paramref name="task"/>'s pathway{{readoutDoc}} in the parameter store, so optimizers leave them untouched.</summary>
            public void FreezePathway(int task)
            {
                if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {Tasks})");
                for (var layer = 0; layer < PathLayers; layer++)
                {
                    var row = {{p.PathwaysField}}.AsSpan((task * PathLayers + layer) * PathModules, PathModules);
                    for (var module = 0; module < PathModules; module++)
                    {
                        if (row[module] == 0f) continue;
                        _store.SetFrozen({{p.ModulesField}}[layer][module].Weight, true);
                        _store.SetFrozen({{p.ModulesField}}[layer][module].Bias, true);
                    }
                }{{readoutFreeze}}
            }

            /// <summary>The weight and bias slices of every module of the grid that is not frozen (on no finished task's pathway).</summary>
            public IReadOnlyList<ParameterSlice> UnfrozenModuleSlices()
            {
                var slices = new List<ParameterSlice>();
                foreach (var layer in {{p.ModulesField}})
                {
                    foreach (var module in layer)
                    {
                        if (_store.IsFrozen(module.Weight)) continue;
                        slices.Add(module.Weight);
                        slices.Add(module.Bias);
                    }
                }
                return slices;
            }

            /// <summary>
            /// Ends task <paramref name="task"/> (Fernando et al. 2017): freezes its pathway (<see cref="FreezePathway(int)"/>), then
            /// reinitialises every module of the grid that is not frozen, drawing from <paramref name="seed"/> (pass a seed
            /// other than the first initialisation's for fresh values). Optimizer state of the reinitialised slices is the caller's to reset.
            /// </summary>
            public void FreezePathway(int task, ulong seed)
            {
                FreezePathway(task);
                _store.Reinitialize(UnfrozenModuleSlices(), seed);
            }

            int IPathNetNetwork.Tasks => Tasks;

            int IPathNetNetwork.PathLayers => PathLayers;

            int IPathNetNetwork.PathModules => PathModules;

            int IPathNetNetwork.PathActive => PathActive;

            /// <summary>True when module <paramref name="module"/> of <paramref name="layer"/> is frozen (on the pathway of a finished task).</summary>
            public bool IsModuleFrozen(int layer, int module)
            {
                if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {PathLayers})");
                if ((uint)module >= PathModules) throw new ArgumentOutOfRangeException(nameof(module), module, $"module must be in [0, {PathModules})");
                return _store.IsFrozen({{p.ModulesField}}[layer][module].Weight);
            }

            /// <summary>Every task starts on modules 0 .. PathActive − 1 of every layer.</summary>
            private static float[] DefaultPathways()
            {
                var pathways = new float[Tasks * PathLayers * PathModules];
                for (var row = 0; row < Tasks * PathLayers; row++) pathways.AsSpan(row * PathModules, PathActive).Fill(1f);
                return pathways;
            }

            private void PathwayWeights(int layer, float[] weights, int batch)
            {
                for (var b = 0; b < batch; b++) {{p.PathwaysField}}.AsSpan((_taskIds[b] * PathLayers + layer) * PathModules, PathModules).CopyTo(weights.AsSpan(b * PathModules, PathModules));
            }
            """;
    }

    /// <summary>Progressive networks' column controls: active columns, AddColumn, freezing, and the lateral parts helper.</summary>
    public static string ColumnMembers(ColumnControls c)
    {
        var nodes = string.Join(", ", c.Nodes.Select(n => $"<c>{n.Node}</c> (line {n.Line})"));
        var readouts = c.ReadoutPrefixes.Count > 0;
        var readoutDoc = readouts ? "and task k's readout " : "";
        var readoutFreeze = readouts
            ? $"\n    foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Task(column), {Prefixes(c.ReadoutPrefixes)})) _store.SetFrozen(slice, true);"
            : "";
        var prefixes = Prefixes(c.Prefixes);
        return $$"""

            /// <summary>
            /// Columns of {{nodes}} that samples may use: columns 0 .. ActiveColumns − 1. Every column
            /// is in the layout from the start (columns = tasks); a network starts with column 0 active and
            /// <see cref="AddColumn"/> activates the next. A batch with a task t ≥ ActiveColumns is refused.
            /// </summary>
            public int ActiveColumns => _activeColumns;

            /// <summary>Activates the next column (for the next task of a sequential schedule) and returns its index.</summary>
            /// <exception cref="InvalidOperationException">Every column is active already.</exception>
            public int AddColumn()
            {
                if (_activeColumns == Tasks) throw new InvalidOperationException($"all {Tasks} columns are active");
                return _activeColumns++;
            }

            /// <summary>
            /// Freezes column <paramref name="column"/> (owner column k: its layers and lateral adapters)
            /// {{readoutDoc}}in the parameter store, so optimizers leave them untouched. Later
            /// columns keep reading it through their laterals; its gradients are still computed.
            /// </summary>
            public void FreezeColumn(int column)
            {
                if ((uint)column >= Tasks) throw new ArgumentOutOfRangeException(nameof(column), column, $"column must be in [0, {Tasks})");
                foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Column(column), {{prefixes}})) _store.SetFrozen(slice, true);{{readoutFreeze}}
            }

            /// <summary>True once <see cref="FreezeColumn"/> froze column <paramref name="column"/>.</summary>
            public bool IsColumnFrozen(int column)
            {
                if ((uint)column >= Tasks) throw new ArgumentOutOfRangeException(nameof(column), column, $"column must be in [0, {Tasks})");
                foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Column(column), {{prefixes}})) if (!_store.IsFrozen(slice)) return false;
                return true;
            }

            int IProgressiveNetwork.Columns => Tasks;

            /// <summary><paramref name="count"/> parts of one width: the earlier columns a lateral adapter reads.</summary>
            private static int[] Parts(int count, int width)
            {
                var parts = new int[count];
                Array.Fill(parts, width);
                return parts;
            }
            """;
    }

    /// <summary>Routing accessors of one soft-modular node: its routing constants, probabilities and output gate.</summary>
    public static string RoutingMembers(RoutingAccessors r)
    {
        var q = r.Qualifier;
        var probabilities = r.Layers <= 1 ? "" : $$"""


            /// <summary>
            /// The routing probabilities pˡ of <c>{{r.Node}}</c> from the last Forward, [batch, {{Int(r.Modules)}}, {{Int(r.Modules)}}] for
            /// <paramref name="layer"/> l in [0, {{q}}RoutingLayers): entry [b, j, k] is the weight module j of layer l + 1
            /// gives module k of layer l, and each row j sums to one (docs/language.md, soft modularization, step 2).
            /// The span is a read-only view of a workspace the next Forward overwrites.
            /// </summary>
            public ReadOnlySpan<float> {{q}}RoutingProbabilities(int layer)
            {
                if ((uint)layer >= {{q}}RoutingLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {{{q}}RoutingLayers})");
                return {{r.ProbabilitiesField}}[layer].AsSpan(0, _batch * {{Int(r.Modules * r.Modules)}});
            }
            """;
        var gate = !r.Gated ? "" : $$"""


            /// <summary>The output gate g of <c>{{r.Node}}</c> from the last Forward, [batch, {{Int(r.Modules)}}]: the weight of each last-layer module; rows sum to one (docs/language.md, {{(r.Style == SoftModularStyle.SoftModule ? "style soft_module, step 3" : "step 4")}}).</summary>
            public ReadOnlySpan<float> {{q}}GateProbabilities => {{r.GateWeightsField}}.AsSpan(0, _batch * {{Int(r.Modules)}});
            """;
        return $$"""

            /// <summary>Routing layers of the soft-modular node <c>{{r.Node}}</c> (line {{r.Line}}): layers − 1 = {{Int(r.Layers - 1)}}.</summary>
            public const int {{q}}RoutingLayers = {{Int(r.Layers - 1)}};

            /// <summary>Modules per layer of <c>{{r.Node}}</c>.</summary>
            public const int {{q}}RoutingModules = {{Int(r.Modules)}};
            """ + probabilities + gate;
    }
}
