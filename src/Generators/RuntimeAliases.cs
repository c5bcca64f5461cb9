using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace Mtrl.Generators;

/// <summary>
/// The <c>using X = global::...;</c> aliases a generated file may need, and the choice of those it
/// does use: a reviewer reads an unused alias as a leftover, so each file carries only the aliases
/// its printed code names.
/// </summary>
internal static class RuntimeAliases
{
    /// <summary>Every alias the emitters may print, in ordinal order (the order a file lists them).</summary>
    public static readonly IReadOnlyList<(string Alias, string Target)> All = new[]
    {
        ("Accelerator", "global::Mtrl.Kernels.Accelerator"),
        ("Activation", "global::Mtrl.Runtime.Layers.Activation"),
        ("ActivationKind", "global::Mtrl.Contracts.ActivationKind"),
        ("ActorMimicFeatures", "global::Mtrl.Runtime.Algorithms.ActorMimicFeatures"),
        ("Concat", "global::Mtrl.Runtime.Layers.Concat"),
        ("DistillationCollector", "global::Mtrl.Contracts.DistillationCollector"),
        ("DistillationMethod", "global::Mtrl.Contracts.DistillationMethod"),
        ("DistillationOptions", "global::Mtrl.Runtime.Algorithms.DistillationOptions"),
        ("DistillationTrainer", "global::Mtrl.Runtime.Algorithms.DistillationTrainer"),
        ("DistralOptions", "global::Mtrl.Runtime.Algorithms.DistralOptions"),
        ("DistralTrainer", "global::Mtrl.Runtime.Algorithms.DistralTrainer"),
        ("DqnOptions", "global::Mtrl.Runtime.Algorithms.DqnOptions"),
        ("DqnTrainer", "global::Mtrl.Runtime.Algorithms.DqnTrainer"),
        ("ElementwiseProduct", "global::Mtrl.Runtime.Layers.ElementwiseProduct"),
        ("Embedding", "global::Mtrl.Runtime.Layers.Embedding"),
        ("Film", "global::Mtrl.Runtime.Layers.Film"),
        ("GemmBackend", "global::Mtrl.Kernels.GemmBackend"),
        ("GradientReduction", "global::Mtrl.Contracts.GradientReduction"),
        ("HerGoalStrategy", "global::Mtrl.Contracts.HerGoalStrategy"),
        ("HerOptions", "global::Mtrl.Runtime.Replay.HerOptions"),
        ("IContinuousVectorEnvironment", "global::Mtrl.Runtime.Environments.IContinuousVectorEnvironment"),
        ("ICriticNetwork", "global::Mtrl.Runtime.Algorithms.ICriticNetwork"),
        ("IDiscreteVectorEnvironment", "global::Mtrl.Runtime.Environments.IDiscreteVectorEnvironment"),
        ("IFeatureNetwork", "global::Mtrl.Runtime.Algorithms.IFeatureNetwork"),
        ("IPathNetNetwork", "global::Mtrl.Runtime.Transfer.IPathNetNetwork"),
        ("IPolicyNetwork", "global::Mtrl.Runtime.Algorithms.IPolicyNetwork"),
        ("IProgressiveNetwork", "global::Mtrl.Runtime.Transfer.IProgressiveNetwork"),
        ("IQNetwork", "global::Mtrl.Runtime.Algorithms.IQNetwork"),
        ("Initializer", "global::Mtrl.Runtime.Parameters.Initializer"),
        ("LayerNorm", "global::Mtrl.Runtime.Layers.LayerNorm"),
        ("Linear", "global::Mtrl.Runtime.Layers.Linear"),
        ("LinearMap", "global::Mtrl.Runtime.Layers.LinearMap"),
        ("LoserUpdates", "global::Mtrl.Contracts.LoserUpdates"),
        ("ModuleMix", "global::Mtrl.Runtime.Layers.ModuleMix"),
        ("NetworkInputs", "global::Mtrl.Runtime.Algorithms.NetworkInputs"),
        ("OneHot", "global::Mtrl.Runtime.Layers.OneHot"),
        ("ParameterLayout", "global::Mtrl.Runtime.Parameters.ParameterLayout"),
        ("ParameterLayoutBuilder", "global::Mtrl.Runtime.Parameters.ParameterLayoutBuilder"),
        ("ParameterOwner", "global::Mtrl.Contracts.ParameterOwner"),
        ("ParameterSlice", "global::Mtrl.Runtime.Parameters.ParameterSlice"),
        ("ParameterStore", "global::Mtrl.Runtime.Parameters.ParameterStore"),
        ("PathNetEvolutionOptions", "global::Mtrl.Runtime.Transfer.PathNetEvolutionOptions"),
        ("PathwayFitness", "global::Mtrl.Contracts.PathwayFitness"),
        ("PriorityOptions", "global::Mtrl.Runtime.Algorithms.PriorityOptions"),
        ("ReplaySampling", "global::Mtrl.Runtime.Algorithms.ReplaySampling"),
        ("RowSoftmax", "global::Mtrl.Runtime.Layers.RowSoftmax"),
        ("RowTopKSoftmax", "global::Mtrl.Runtime.Layers.RowTopKSoftmax"),
        ("SacOptions", "global::Mtrl.Runtime.Algorithms.SacOptions"),
        ("SacTrainer", "global::Mtrl.Runtime.Algorithms.SacTrainer"),
        ("Scale", "global::Mtrl.Runtime.Layers.Scale"),
        ("SequentialOptions", "global::Mtrl.Runtime.Transfer.SequentialOptions"),
        ("SequentialTrainer", "global::Mtrl.Runtime.Transfer.SequentialTrainer"),
        ("Split", "global::Mtrl.Runtime.Layers.Split"),
        ("StopGradient", "global::Mtrl.Runtime.Layers.StopGradient"),
        ("TaskBatch", "global::Mtrl.Runtime.Layers.TaskBatch"),
        ("TaskGradientMethod", "global::Mtrl.Contracts.TaskGradientMethod"),
        ("TaskLinear", "global::Mtrl.Runtime.Layers.TaskLinear"),
        ("TaskLossWeighting", "global::Mtrl.Runtime.Algorithms.TaskLossWeighting"),
        ("TaskRows", "global::Mtrl.Runtime.Layers.TaskRows"),
        ("Td3Options", "global::Mtrl.Runtime.Algorithms.Td3Options"),
        ("Td3Trainer", "global::Mtrl.Runtime.Algorithms.Td3Trainer"),
        ("TdLossKind", "global::Mtrl.Contracts.TdLossKind"),
        ("TemperatureMode", "global::Mtrl.Contracts.TemperatureMode"),
        ("TensorPrimitives", "global::System.Numerics.Tensors.TensorPrimitives"),
    };

    // An identifier not preceded by '.', ':' or a word character: a type name, not a member access.
    private static readonly Regex TypeName = new(@"(?<![\w.:])[A-Z][A-Za-z0-9_]*", RegexOptions.CultureInvariant);

    // String literals the emitters print; names inside them (messages, slice names) are not type references.
    private static readonly Regex StringLiteral = new(@"""(?:[^""\\]|\\.)*""", RegexOptions.CultureInvariant);

    // Doc comments refer to types only through cref.
    private static readonly Regex Cref = new(@"cref=""([^""]*)""", RegexOptions.CultureInvariant);

    /// <summary>
    /// The aliases <paramref name="body"/> names: type names in code (outside string literals and
    /// comments) and in doc-comment <c>cref</c>s. The printed code is the emitters' own output, so
    /// its line kinds are known: a comment line starts with <c>//</c>, and no code line holds one.
    /// </summary>
    public static IEnumerable<(string Alias, string Target)> UsedBy(string body)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawLine in body.Split('\n'))
        {
            var line = rawLine.TrimStart();
            if (line.StartsWith("//", StringComparison.Ordinal))
            {
                foreach (Match cref in Cref.Matches(line)) Collect(cref.Groups[1].Value, names);
                continue;
            }
            Collect(StringLiteral.Replace(line, "\"\""), names);
        }
        foreach (var alias in All)
        {
            if (names.Contains(alias.Alias)) yield return alias;
        }
    }

    private static void Collect(string code, HashSet<string> names)
    {
        foreach (Match name in TypeName.Matches(code)) names.Add(name.Value);
    }
}
