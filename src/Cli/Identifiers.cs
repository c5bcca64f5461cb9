using System;
using Microsoft.CodeAnalysis.CSharp;

namespace Mtrl.Cli;

/// <summary>Checks of names the user passes on the command line that end up in C# source.</summary>
internal static class Identifiers
{
    /// <summary>True for a dotted sequence of valid, non-keyword C# identifiers.</summary>
    public static bool IsNamespace(string value) =>
        value.Length > 0 && Array.TrueForAll(value.Split('.'), part =>
            SyntaxFacts.IsValidIdentifier(part) && SyntaxFacts.GetKeywordKind(part) == SyntaxKind.None);
}
