using System.Globalization;
using System.Text.RegularExpressions;

namespace Mtrl.Contracts;

/// <summary>
/// The naming scheme of parameter slices (docs/language.md, "Parameters"): the spec checker
/// names the slices it lays out with it, the generator writes the same names (literally, or as
/// C# interpolation templates such as <c>$"q.h.task{t}.fc0"</c>) and recovers per-task and
/// per-module repetitions from them, and checkpoints and <c>freeze</c> refer to slices by them.
/// Index arguments are <see cref="int"/>s, or for templates the C# placeholder text (<c>"{t}"</c>).
/// </summary>
public static class ParameterNames
{
    /// <summary>Suffix of an affine layer's weight matrix.</summary>
    public const string WeightSuffix = ".weight";

    /// <summary>Suffix of an affine layer's bias row.</summary>
    public const string BiasSuffix = ".bias";

    private const string TaskSegment = "task";
    private const string ExpertSegment = "expert";
    private const string ModuleSegment = "module";

    private static readonly Regex IndexedPattern = new(@"^(?<prefix>.*\.)(?<kind>" + TaskSegment + "|" + ExpertSegment + @")(?<index>\d+)(?<rest>.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex ModulePattern = new(@"^(?<prefix>.*\." + ModuleSegment + @")(?<layer>\d+)_(?<index>\d+)(?<rest>.*)$", RegexOptions.CultureInvariant);

    /// <summary>The prefix of node <paramref name="node"/>'s slices in network <paramref name="network"/> (a block's slices take the block's name instead).</summary>
    public static string Node(string network, string node) => network + "." + node;

    /// <summary>The weight of the affine layer <paramref name="affine"/>.</summary>
    public static string Weight(string affine) => affine + WeightSuffix;

    /// <summary>The bias of the affine layer <paramref name="affine"/>.</summary>
    public static string Bias(string affine) => affine + BiasSuffix;

    /// <summary>An embedding's table.</summary>
    public static string Table(string prefix) => prefix + ".table";

    /// <summary>Hidden affine layer <paramref name="layer"/> of an MLP-like stack.</summary>
    public static string Layer(string prefix, int layer) => Layer(prefix, Digits(layer));

    /// <inheritdoc cref="Layer(string, int)"/>
    public static string Layer(string prefix, string layer) => prefix + ".fc" + layer;

    /// <summary>The gain of layer norm <paramref name="layer"/>.</summary>
    public static string NormGain(string prefix, int layer) => prefix + ".norm" + Digits(layer) + ".gain";

    /// <summary>The shift of layer norm <paramref name="layer"/>.</summary>
    public static string NormShift(string prefix, int layer) => prefix + ".norm" + Digits(layer) + ".shift";

    /// <summary>The affine layer giving FiLM's γ and β at layer <paramref name="layer"/>.</summary>
    public static string Film(string prefix, int layer) => prefix + ".film" + Digits(layer);

    /// <summary>Task <paramref name="task"/>'s own part (per-task heads and readouts).</summary>
    public static string Task(string prefix, int task) => Task(prefix, Digits(task));

    /// <inheritdoc cref="Task(string, int)"/>
    public static string Task(string prefix, string task) => prefix + "." + TaskSegment + task;

    /// <summary>Expert <paramref name="expert"/> of a mixture of experts.</summary>
    public static string Expert(string prefix, int expert) => Expert(prefix, Digits(expert));

    /// <inheritdoc cref="Expert(string, int)"/>
    public static string Expert(string prefix, string expert) => prefix + "." + ExpertSegment + expert;

    /// <summary>The per-task (<c>task</c>) or per-expert (<c>expert</c>) part <paramref name="index"/>, by segment name.</summary>
    public static string Indexed(string prefix, bool experts, string index) => experts ? Expert(prefix, index) : Task(prefix, index);

    /// <summary>Hidden affine layer <paramref name="layer"/> of a mixture of experts' gate.</summary>
    public static string GateLayer(string prefix, int layer) => prefix + ".gate.fc" + Digits(layer);

    /// <summary>The output layer of a mixture of experts' gate.</summary>
    public static string GateOut(string prefix) => prefix + ".gate.out";

    /// <summary>Soft-modular routing: the layer reading the routing input.</summary>
    public static string RouteIn(string prefix) => prefix + ".route.in";

    /// <summary>Soft-modular routing: the layer lifting earlier probabilities into routing layer <paramref name="layer"/>.</summary>
    public static string RouteUp(string prefix, int layer) => prefix + ".route.up" + Digits(layer);

    /// <summary>Soft-modular routing: the layer giving routing layer <paramref name="layer"/>'s logits.</summary>
    public static string RouteDown(string prefix, int layer) => prefix + ".route.down" + Digits(layer);

    /// <summary>Soft-modular routing: the layer lifting probabilities into the output gate.</summary>
    public static string RouteUpGate(string prefix) => prefix + ".route.up_gate";

    /// <summary>Soft-modular routing: the output gate's logits.</summary>
    public static string RouteGate(string prefix) => prefix + ".route.gate";

    /// <summary>Module <paramref name="module"/> of layer <paramref name="layer"/> (PathNet, soft-modular).</summary>
    public static string Module(string prefix, int layer, int module) => Module(prefix, Digits(layer), Digits(module));

    /// <inheritdoc cref="Module(string, int, int)"/>
    public static string Module(string prefix, string layer, string module) => prefix + "." + ModuleSegment + layer + "_" + module;

    /// <summary>Progressive column <paramref name="column"/>.</summary>
    public static string Column(string prefix, int column) => Column(prefix, Digits(column));

    /// <inheritdoc cref="Column(string, int)"/>
    public static string Column(string prefix, string column) => prefix + ".col" + column;

    /// <summary>The scale α of a progressive column's lateral into layer <paramref name="layer"/>.</summary>
    public static string LateralAlpha(string column, int layer) => column + ".lateral" + Digits(layer) + ".alpha";

    /// <summary>The affine reduction of a progressive column's lateral into layer <paramref name="layer"/>.</summary>
    public static string LateralReduce(string column, int layer) => column + ".lateral" + Digits(layer) + ".reduce";

    /// <summary>The map (weight only) lifting a progressive lateral into layer <paramref name="layer"/>.</summary>
    public static string LateralUp(string column, int layer) => column + ".lateral" + Digits(layer) + ".up";

    /// <summary>
    /// Splits a name holding a per-task or per-expert part, <c>{prefix}.task{index}{rest}</c> or
    /// <c>{prefix}.expert{index}{rest}</c>, so that <c>Indexed(prefix, experts, index) + rest</c>
    /// rebuilds it; false for any other name.
    /// </summary>
    public static bool TryParseIndexed(string name, out string prefix, out bool experts, out int index, out string rest)
    {
        var match = IndexedPattern.Match(name);
        var withDot = match.Groups["prefix"].Value;
        prefix = match.Success ? withDot.Substring(0, withDot.Length - 1) : "";
        experts = match.Groups["kind"].Value == ExpertSegment;
        index = match.Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : 0;
        rest = match.Groups["rest"].Value;
        return match.Success;
    }

    /// <summary>
    /// Splits a module's name, <c>{prefix}.module{layer}_{module}{rest}</c>; false for any other
    /// name. <c>Module(prefix, layer, module) + rest</c> rebuilds it.
    /// </summary>
    public static bool TryParseModule(string name, out string prefix, out int layer, out int module, out string rest)
    {
        var match = ModulePattern.Match(name);
        var withSegment = match.Groups["prefix"].Value;
        prefix = match.Success ? withSegment.Substring(0, withSegment.Length - ModuleSegment.Length - 1) : "";
        layer = match.Success ? int.Parse(match.Groups["layer"].Value, CultureInfo.InvariantCulture) : 0;
        module = match.Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : 0;
        rest = match.Groups["rest"].Value;
        return match.Success;
    }

    private static string Digits(int index) => index.ToString(CultureInfo.InvariantCulture);
}
