using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Mtrl.Cli.InProcess;

/// <summary>
/// The build options the generator reads at compile time (the project's RootNamespace), supplied
/// in-process so an ad-hoc agent lands in the same namespace a project build would give it.
/// </summary>
internal sealed class SpecBuildOptions : AnalyzerConfigOptionsProvider
{
    private static readonly Options None = new(new Dictionary<string, string>());
    private readonly Options _global;

    public SpecBuildOptions(string rootNamespace) =>
        _global = new Options(new Dictionary<string, string> { ["build_property.RootNamespace"] = rootNamespace });

    public override AnalyzerConfigOptions GlobalOptions => _global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => None;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => None;

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly Dictionary<string, string> _values;

        public Options(Dictionary<string, string> values) => _values = values;

        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }
}
