using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Syntax;

// The syntax tree is deliberately generic (items, expressions) so the grammar stays small and
// regular; which keywords mean what is the binder's job, which also lets it say "did you mean".

/// <summary>A name as written, with where it was written.</summary>
public sealed record Identifier(string Text, SourceSpan Span);

/// <summary>A value: number, string, name, call or list.</summary>
public abstract record Expression(SourceSpan Span);

/// <summary>A number. <see cref="IsValid"/> is false for malformed literals (reported as MTRL0002).</summary>
public sealed record NumberLiteral(double Value, string Text, bool IsInteger, bool IsValid, SourceSpan Span) : Expression(Span);

/// <summary>A double-quoted string with escapes resolved.</summary>
public sealed record StringLiteral(string Value, SourceSpan Span) : Expression(Span);

/// <summary>A bare name: a value, a block, an option like <c>relu</c> or <c>true</c>.</summary>
public sealed record NameExpression(Identifier Name) : Expression(Name.Span);

/// <summary><c>callee(args)</c>: a block applied to inputs, or an option with settings.</summary>
public sealed record CallExpression(Identifier Callee, EquatableArray<Argument> Arguments, SourceSpan Span) : Expression(Span);

/// <summary><c>[a, b, c]</c>.</summary>
public sealed record ListExpression(EquatableArray<Expression> Items, SourceSpan Span) : Expression(Span);

/// <summary>A call argument: positional (<see cref="Name"/> null) or <c>name: value</c>.</summary>
public sealed record Argument(Identifier? Name, Expression Value, SourceSpan Span);

/// <summary>The three shapes an item can take.</summary>
public enum ItemKind
{
    /// <summary><c>head [name]: value</c>, e.g. <c>tasks: 10</c>, <c>input obs: 39</c>.</summary>
    Setting,
    /// <summary><c>[head] name = value</c>, e.g. <c>h = mlp(obs, widths: [64])</c>, <c>out q = q_values(h)</c>.</summary>
    Binding,
    /// <summary><c>head [name] { items }</c>, e.g. <c>agent A { … }</c>, <c>train sac { … }</c>.</summary>
    Section,
}

/// <summary>
/// One statement. <see cref="Head"/> is the first word; <see cref="Name"/> the optional second
/// (for a binding without a modifier, the head is the bound name and <see cref="Name"/> is null).
/// <see cref="IsIncomplete"/> marks a section whose body had syntax errors: the binder then holds
/// back "missing" and "unused" findings that would only echo those errors.
/// </summary>
public sealed record Item(
    Identifier Head,
    Identifier? Name,
    ItemKind Kind,
    Expression? Value,
    EquatableArray<Item> Body,
    SourceSpan Span,
    bool IsIncomplete = false);

/// <summary>A parsed file.</summary>
public sealed record SyntaxFile(string Path, EquatableArray<Item> Items);
