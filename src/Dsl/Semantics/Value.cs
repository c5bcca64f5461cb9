using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>What a name or expression evaluates to inside a network.</summary>
internal enum ValueKind
{
    /// <summary>A batch of feature vectors of some width.</summary>
    Features,
    /// <summary>The task id of each sample (only onehot/embedding read it).</summary>
    TaskId,
    /// <summary>An output head's result; nothing may consume it.</summary>
    Head,
    /// <summary>Already reported as wrong; consumers stay quiet to avoid cascades.</summary>
    Error,
}

/// <summary>
/// A value with its width, the node or input that produces it (<see cref="Source"/>), and a
/// description of where it came from for width-mismatch messages.
/// </summary>
internal sealed record Value(ValueKind Kind, int Width, string Source, string Origin, SourceSpan Span)
{
    public static Value Error(SourceSpan span) => new(ValueKind.Error, 0, "", "", span);

    public bool IsError => Kind == ValueKind.Error;
}
