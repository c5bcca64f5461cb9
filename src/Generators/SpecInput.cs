namespace Mtrl.Generators;

/// <summary>One .mtrl file as the pipeline sees it: path, text and the namespace to emit into.</summary>
internal sealed record SpecInput(string Path, string Text, string Namespace);

/// <summary>
/// A diagnostic as plain data (no Roslyn Location, which would defeat caching): code, severity,
/// message, and the span both as offsets and as 0-based line positions.
/// </summary>
internal sealed record DiagnosticInfo(
    string Code, Dsl.Diagnostics.DiagnosticSeverity Severity, string Message, string Path,
    int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

/// <summary>What one spec produces: generated source (null when the spec has errors), diagnostics, and the agent classes the source declares.</summary>
internal sealed record SpecOutput(string HintName, string? Source, Dsl.EquatableArray<DiagnosticInfo> Diagnostics, Dsl.EquatableArray<AgentDeclaration> Agents = default);

/// <summary>An agent class a spec generates (namespace and name) and where the agent is declared, to find two specs of one build declaring one class.</summary>
internal sealed record AgentDeclaration(string Namespace, string Name, string Path, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

/// <summary>Names of the pipeline steps, asserted by the incremental-caching tests.</summary>
internal static class TrackingNames
{
    public const string SpecFiles = nameof(SpecFiles);
    public const string Analyzed = nameof(Analyzed);
    public const string Sources = nameof(Sources);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Declarations = nameof(Declarations);
}

/// <summary>Turns file paths into stable, valid hint names.</summary>
internal static class HintNames
{
    /// <summary>"agent.1a2b3c4d.mtrl.g.cs": the file name plus a stable hash of the full path, so two specs with one name in different folders do not collide.</summary>
    public static string For(string path)
    {
        var chars = System.IO.Path.GetFileNameWithoutExtension(path).ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsLetterOrDigit(chars[i]) && chars[i] != '_') chars[i] = '_';
        }
        return $"{new string(chars)}.{Fnv(path):x8}.mtrl.g.cs";
    }

    private static uint Fnv(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }
}
