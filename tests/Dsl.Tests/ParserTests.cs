using System.Linq;
using Mtrl.Dsl.Syntax;
using Xunit;

namespace Mtrl.Dsl.Tests;

public class ParserTests
{
    private static SyntaxFile Parse(string text)
    {
        var syntax = SpecCompiler.ParseSyntax("p.mtrl", text, out var diagnostics);
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        return syntax;
    }

    private static Expression ValueOf(string value) => Parse($"x: {value}").Items[0].Value!;

    [Theory]
    [InlineData("1_000_000", 1_000_000d, true)]
    [InlineData("3e-4", 3e-4, false)]
    [InlineData("2.5E+3", 2500d, false)]
    [InlineData("-0.5", -0.5, false)]
    [InlineData("-7", -7d, true)]
    [InlineData("0.000_1", 0.0001, false)]
    public void NumbersAcceptSeparatorsExponentsAndSigns(string text, double value, bool isInteger)
    {
        var number = Assert.IsType<NumberLiteral>(ValueOf(text));
        Assert.True(number.IsValid);
        Assert.Equal(value, number.Value, 12);
        Assert.Equal(isInteger, number.IsInteger);
        Assert.Equal(text, number.Text);
    }

    [Theory]
    [InlineData("1__0")]
    [InlineData("1_")]
    [InlineData("1.")]
    [InlineData("400x")]
    [InlineData("1e")]
    [InlineData("1e999")]
    public void MalformedNumbersAreOneInvalidToken(string text)
    {
        var result = SpecCompiler.Compile("p.mtrl", $"agent A {{ tasks: {text} }}");
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0002");
        Assert.Equal(18, diagnostic.Span.Column);
        Assert.Equal(text.Length, diagnostic.Span.Length);
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL0001");
    }

    [Fact]
    public void StringsResolveEscapes()
    {
        var text = Assert.IsType<StringLiteral>(ValueOf("\"a \\\"b\\\" \\\\ c\\n\\t\""));
        Assert.Equal("a \"b\" \\ c\n\t", text.Value);
    }

    [Theory]
    [InlineData("x: \"open", "unterminated string")]
    [InlineData("x: \"bad \\q\"", "unknown escape")]
    public void BadStringsAreSyntaxErrors(string text, string message)
    {
        SpecCompiler.ParseSyntax("p.mtrl", text, out var diagnostics);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("MTRL0001", diagnostic.Code);
        Assert.Contains(message, diagnostic.Message);
    }

    [Fact]
    public void ListsAllowTrailingCommasAndNesting()
    {
        var list = Assert.IsType<ListExpression>(ValueOf("[1, [2, 3,], [],]"));
        Assert.Equal(3, list.Items.Count);
        Assert.Equal(2, Assert.IsType<ListExpression>(list.Items[1]).Items.Count);
        Assert.Empty(Assert.IsType<ListExpression>(list.Items[2]).Items);
    }

    [Fact]
    public void CallsTakePositionalAndNamedArgumentsAndNest()
    {
        var call = Assert.IsType<CallExpression>(ValueOf("mlp(concat(a, b), widths: [4, 4], activation: relu,)"));
        Assert.Equal("mlp", call.Callee.Text);
        Assert.Equal(3, call.Arguments.Count);
        Assert.Null(call.Arguments[0].Name);
        Assert.IsType<CallExpression>(call.Arguments[0].Value);
        Assert.Equal("widths", call.Arguments[1].Name!.Text);
        Assert.Equal("activation", call.Arguments[2].Name!.Text);
        Assert.Empty(Assert.IsType<CallExpression>(ValueOf("pcgrad()")).Arguments);
    }

    [Fact]
    public void ItemsTakeThreeShapesAndMayShareALine()
    {
        var file = Parse("a: 1 b = c  out d = e(f) s t { u: 2 } # comment { not a section\nv { }");
        Assert.Equal(new[] { ItemKind.Setting, ItemKind.Binding, ItemKind.Binding, ItemKind.Section, ItemKind.Section },
            file.Items.Select(i => i.Kind));
        Assert.Equal("d", file.Items[2].Name!.Text);
        Assert.Equal("out", file.Items[2].Head.Text);
        Assert.Equal("t", file.Items[3].Name!.Text);
        Assert.Single(file.Items[3].Body);
    }

    [Fact]
    public void SpansAreOneBasedAndExcludeLeadingTrivia()
    {
        var file = Parse("# header\n\nagent A {\n    tasks:   10\n}\n");
        var agent = file.Items[0];
        Assert.Equal((3, 1), (agent.Span.Line, agent.Span.Column));
        Assert.Equal((5, 2), (agent.Span.EndLine, agent.Span.EndColumn));
        var tasks = agent.Body[0];
        Assert.Equal((4, 5), (tasks.Head.Span.Line, tasks.Head.Span.Column));
        Assert.Equal((4, 14), (tasks.Value!.Span.Line, tasks.Value.Span.Column));
        Assert.Equal(2, tasks.Value.Span.Length);
    }

    [Fact]
    public void CrlfAndByteOrderMarkGiveTheSamePositionsAsLf()
    {
        const string lf = "agent A {\n  tasks: 0\n}\n";
        var crlf = "\uFEFF" + lf.Replace("\n", "\r\n");
        var a = SpecCompiler.Compile("p.mtrl", lf).Diagnostics.Select(d => (d.Code, d.Span.Line, d.Span.Column)).ToList();
        var b = SpecCompiler.Compile("p.mtrl", crlf).Diagnostics.Select(d => (d.Code, d.Span.Line, d.Span.Column)).ToList();
        Assert.Contains(("MTRL0300", 2, 10), a);
        Assert.Equal(a, b);
    }

    [Fact]
    public void UnclosedSectionPointsAtItsBrace()
    {
        SpecCompiler.ParseSyntax("p.mtrl", "agent A {\n  network q {\n    h = x\n", out var diagnostics);
        var messages = diagnostics.Select(d => d.Message).ToList();
        Assert.Contains(messages, m => m.Contains("line 2, column 13"));
    }

    [Fact]
    public void StrayClosingBraceIsReportedAndSkipped()
    {
        SpecCompiler.ParseSyntax("p.mtrl", "}\nagent A { }\n", out var diagnostics);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal((1, 1), (diagnostic.Span.Line, diagnostic.Span.Column));
    }
}
