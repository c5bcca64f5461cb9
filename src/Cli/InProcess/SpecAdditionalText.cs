using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Mtrl.Cli.InProcess;

/// <summary>A spec handed to the generator driver the way MSBuild hands it an AdditionalFiles item.</summary>
internal sealed class SpecAdditionalText : AdditionalText
{
    private readonly SourceText _text;

    public SpecAdditionalText(string path, string text)
    {
        Path = path;
        _text = SourceText.From(text);
    }

    public override string Path { get; }

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
