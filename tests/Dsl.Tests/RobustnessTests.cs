using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Mtrl.Dsl.Text;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>Bad input never throws, and every diagnostic points inside the file.</summary>
public class RobustnessTests
{
    private static readonly Regex Tokens = new(@"[A-Za-z_][A-Za-z0-9_]*|-?[0-9][0-9_.eE+-]*|""[^""\n]*""|#[^\n]*|\s+|.", RegexOptions.Compiled);

    private const string Alphabet = "{}[]():=,#\"\\_-.+e0123456789abcxyz \n\t\r\u0000\u00ff\u2603\uFEFF";

    private static void AssertWellFormed(string text, SpecResult result)
    {
        // Positions are checked against the text the compiler saw (a leading BOM is dropped).
        var seen = text.Length > 0 && text[0] == '\uFEFF' ? text.Substring(1) : text;
        var source = new SourceText("m.mtrl", seen);
        foreach (var d in result.Diagnostics)
        {
            Assert.InRange(d.Span.Start, 0, seen.Length);
            Assert.InRange(d.Span.End, d.Span.Start, seen.Length);
            Assert.Equal(source.Position(d.Span.Start), (d.Span.Line, d.Span.Column));
            Assert.Equal(source.Position(d.Span.End), (d.Span.EndLine, d.Span.EndColumn));
            Assert.InRange(d.Span.Line, 1, source.LineCount);
            Assert.False(string.IsNullOrEmpty(d.Message));
            Assert.True(d.Message.Length <= 400);
        }
    }

    private static string Mutate(string text, Random random)
    {
        var tokens = Tokens.Matches(text).Select(m => m.Value).ToList();
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations && tokens.Count > 0; m++)
        {
            var i = random.Next(tokens.Count);
            switch (random.Next(8))
            {
                case 0: // delete a token
                    tokens.RemoveAt(i);
                    break;
                case 1: // duplicate a token
                    tokens.Insert(i, tokens[i]);
                    break;
                case 2: // swap two tokens
                    var j = random.Next(tokens.Count);
                    (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
                    break;
                case 3: // insert a random character
                    tokens.Insert(i, Alphabet[random.Next(Alphabet.Length)].ToString());
                    break;
                case 4: // delete a character inside a token
                    if (tokens[i].Length > 1) tokens[i] = tokens[i].Remove(random.Next(tokens[i].Length), 1);
                    break;
                case 5: // replace a character inside a token
                    var chars = tokens[i].ToCharArray();
                    chars[random.Next(chars.Length)] = Alphabet[random.Next(Alphabet.Length)];
                    tokens[i] = new string(chars);
                    break;
                case 6: // insert a token copied from elsewhere
                    tokens.Insert(i, tokens[random.Next(tokens.Count)]);
                    break;
                default: // truncate the file
                    tokens.RemoveRange(i, tokens.Count - i);
                    break;
            }
        }
        return string.Concat(tokens);
    }

    [Fact]
    public void TenThousandMutationsOfTheExamplesNeverThrowAndStayInsideTheFile()
    {
        var examples = SpecAssert.ExampleFiles.Select(File.ReadAllText).ToArray();
        var random = new Random(20261122);
        var withErrors = 0;
        var codes = new HashSet<string>();
        for (var n = 0; n < 10_000; n++)
        {
            var text = Mutate(examples[n % examples.Length], random);
            var result = SpecCompiler.Compile("m.mtrl", text);
            AssertWellFormed(text, result);
            if (result.HasErrors) withErrors++;
            foreach (var d in result.Diagnostics) codes.Add(d.Code);
            Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL9000");
        }
        // The mutations must actually exercise the error paths.
        Assert.InRange(withErrors, 5_000, 10_000);
        Assert.True(codes.Count >= 15, string.Join(", ", codes.OrderBy(c => c)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t\r\n  ")]
    [InlineData("# only a comment")]
    [InlineData("\uFEFF")]
    [InlineData("\u0000\u0001\u0002")]
    [InlineData("agent")]
    [InlineData("agent A")]
    [InlineData("agent A {")]
    [InlineData("}}}}")]
    [InlineData("\"")]
    [InlineData("agent A { tasks: [[[[ }")]
    [InlineData("agent A { network q { out q = q_values(q) } train dqn { } action: discrete(2) }")]
    public void OddInputsAreHandled(string text)
    {
        AssertWellFormed(text, SpecCompiler.Compile("m.mtrl", text));
    }

    [Fact]
    public void BinaryGarbageIsHandled()
    {
        var random = new Random(7);
        for (var n = 0; n < 50; n++)
        {
            var bytes = new byte[random.Next(1, 4000)];
            random.NextBytes(bytes);
            var text = Encoding.UTF8.GetString(bytes);
            var result = SpecCompiler.Compile("m.mtrl", text);
            AssertWellFormed(text, result);
            Assert.True(result.Diagnostics.Count <= 101);
        }
    }

    [Fact]
    public void VeryLongLinesAreHandled()
    {
        var longName = new string('a', 1_000_000);
        var longNumber = new string('9', 500_000);
        var longList = "[" + string.Join(",", Enumerable.Repeat("1", 100_000)) + "]";
        foreach (var text in new[]
                 {
                     $"agent {longName} {{ }}",
                     $"{longName}: 1",
                     $"agent A {{ tasks: {longNumber} }}",
                     $"agent A {{ tasks: {longList} }}",
                     "agent A { description: \"" + longName + "\" }",
                 })
        {
            AssertWellFormed(text, SpecCompiler.Compile("m.mtrl", text));
        }
    }

    [Fact]
    public void CrlfExamplesCompileCleanWithTheSameModelShape()
    {
        foreach (var file in SpecAssert.ExampleFiles)
        {
            var lf = File.ReadAllText(file).Replace("\r\n", "\n");
            var a = SpecCompiler.Compile(file, lf);
            var b = SpecCompiler.Compile(file, "\uFEFF" + lf.Replace("\n", "\r\n"));
            Assert.Empty(b.Diagnostics);
            Assert.Equal(
                a.Model.Agents.SelectMany(x => x.Networks).Select(n => (n.Name, n.Parameters.Sum(p => p.Count))),
                b.Model.Agents.SelectMany(x => x.Networks).Select(n => (n.Name, n.Parameters.Sum(p => p.Count))));
        }
    }
}
