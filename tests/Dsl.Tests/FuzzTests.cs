using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Text;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// Mutation fuzzing of the example specs aimed at the front end's limits: extreme and
/// malformed numbers, reserved and reused names, deep nesting, repeated items. Whatever comes
/// in, <see cref="SpecCompiler.Compile"/> returns (no exception, no stack overflow, no
/// MTRL9000), every diagnostic points inside the file, and a spec without errors yields a model
/// the runtime can lay out. Deterministic: one seed, the same cases every run.
/// </summary>
public class FuzzTests
{
    private const int Cases = 3000;

    private static readonly Regex Tokens = new(@"[A-Za-z_][A-Za-z0-9_]*|-?[0-9][0-9_.eE+-]*|""[^""\n]*""|#[^\n]*|\s+|.", RegexOptions.Compiled);

    private static readonly string[] ExtremeNumbers =
    {
        "0", "-1", "-0", "1", "2147483647", "2147483648", "-2147483648", "4294967296", "65536", "65537",
        "1000000", "1000001", "9007199254740993", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999999999", "1e40", "-1e40", "1e308", "1e309", "1e-400", "0.5", "1.5", "1e", "1e+",
        "NaN", "Infinity", "-Infinity", "inf", "0x10", "1__0", "1_", "10_000_000_001", "1_000_000_000_000", "1.",
    };

    private static readonly string[] OddNames =
    {
        "true", "false", "task", "action", "out", "agent", "network", "block", "train", "replay", "obs", "q", "h",
        "mlp", "relu", "none", new string('n', 600),
    };

    private static bool IsNumber(string token) => token.Length > 0 && (char.IsDigit(token[0]) || (token[0] == '-' && token.Length > 1 && char.IsDigit(token[1])));

    private static bool IsName(string token) => token.Length > 0 && (char.IsLetter(token[0]) || token[0] == '_');

    private static string Mutate(string text, Random random)
    {
        var tokens = Tokens.Matches(text).Select(m => m.Value).ToList();
        var mutations = random.Next(1, 5);
        for (var m = 0; m < mutations && tokens.Count > 0; m++)
        {
            var i = random.Next(tokens.Count);
            switch (random.Next(10))
            {
                case 0:
                    tokens.RemoveAt(i);
                    break;
                case 1:
                    tokens.Insert(i, tokens[i]);
                    break;
                case 2:
                    {
                        var j = random.Next(tokens.Count);
                        (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
                        break;
                    }
                case 3:
                case 4:
                    {
                        // Replace some number with an extreme or malformed one.
                        var numbers = Enumerable.Range(0, tokens.Count).Where(k => IsNumber(tokens[k])).ToList();
                        if (numbers.Count > 0) tokens[numbers[random.Next(numbers.Count)]] = ExtremeNumbers[random.Next(ExtremeNumbers.Length)];
                        break;
                    }
                case 5:
                    {
                        // Rename something to a reserved word, a keyword, another name or a huge name.
                        var names = Enumerable.Range(0, tokens.Count).Where(k => IsName(tokens[k])).ToList();
                        if (names.Count > 0)
                        {
                            var k = names[random.Next(names.Count)];
                            tokens[k] = random.Next(2) == 0 ? OddNames[random.Next(OddNames.Length)] : tokens[names[random.Next(names.Count)]];
                        }
                        break;
                    }
                case 6:
                    {
                        // Nest a value in calls or brackets, sometimes past the parser's limit.
                        var names = Enumerable.Range(0, tokens.Count).Where(k => IsName(tokens[k]) || IsNumber(tokens[k])).ToList();
                        if (names.Count == 0) break;
                        var k = names[random.Next(names.Count)];
                        var depth = random.Next(1, Syntax.Grammar.MaxExpressionDepth + 8);
                        var (open, close) = random.Next(3) switch
                        {
                            0 => ("detach(", ")"),
                            1 => ("[", "]"),
                            _ => ("concat(obs, ", ")"),
                        };
                        tokens[k] = string.Concat(Enumerable.Repeat(open, depth)) + tokens[k] + string.Concat(Enumerable.Repeat(close, depth));
                        break;
                    }
                case 7:
                    {
                        // Repeat a whole line many times (duplicate bindings, settings, blocks).
                        var line = string.Concat(tokens).Split('\n');
                        var pick = random.Next(line.Length);
                        var repeated = string.Join("\n", Enumerable.Repeat(line[pick], random.Next(2, 200)));
                        line[pick] = repeated;
                        tokens = Tokens.Matches(string.Join("\n", line)).Select(x => x.Value).ToList();
                        break;
                    }
                case 8:
                    // Truncate.
                    tokens.RemoveRange(i, tokens.Count - i);
                    break;
                default:
                    // Copy a token from elsewhere.
                    tokens.Insert(i, tokens[random.Next(tokens.Count)]);
                    break;
            }
        }
        return string.Concat(tokens);
    }

    private static void AssertWellFormed(string text, SpecResult result)
    {
        var source = new SourceText("f.mtrl", text);
        foreach (var d in result.Diagnostics)
        {
            Assert.Equal("f.mtrl", d.Span.File);
            Assert.InRange(d.Span.Start, 0, text.Length);
            Assert.InRange(d.Span.End, d.Span.Start, text.Length);
            Assert.Equal(source.Position(d.Span.Start), (d.Span.Line, d.Span.Column));
            Assert.Equal(source.Position(d.Span.End), (d.Span.EndLine, d.Span.EndColumn));
            Assert.False(string.IsNullOrWhiteSpace(d.Message));
            Assert.True(d.Message.Length <= 400, d.Message);
        }
    }

    /// <summary>What the runtime's layout builder and trainers need of a model that passed.</summary>
    private static void AssertBuildable(SpecModel model)
    {
        foreach (var agent in model.Agents)
        {
            var distinct = agent.Networks.SelectMany(n => n.Parameters).GroupBy(p => p.Name).Select(g => g.First()).ToList();
            Assert.All(distinct, p => Assert.True(p.Rows >= 1 && p.Columns >= 1, $"{p.Name} is {p.Rows}×{p.Columns}"));
            Assert.InRange(distinct.Sum(p => p.Count), 0, SpecLimits.MaxParameters);
            Assert.InRange(distinct.Count, 0, SpecLimits.MaxParameterTensors);
            Assert.InRange(agent.Tasks, 1, SpecLimits.MaxTasks);
            Assert.InRange(agent.Training.BatchSize, 1, SpecLimits.MaxBatch);
            Assert.InRange(agent.Replay.Capacity, 1, SpecLimits.MaxReplayCapacity);
            Assert.All(agent.Inputs, i => Assert.InRange(i.Width, 1, SpecLimits.MaxWidth));
            foreach (var network in agent.Networks)
            {
                var known = new HashSet<string>(agent.Inputs.Select(i => i.Name)) { "task", "action" };
                foreach (var node in network.Nodes)
                {
                    Assert.All(node.Inputs, i => Assert.Contains(i.Source, known));
                    Assert.InRange(node.Width, 0, SpecLimits.MaxWidth * 2);
                    known.Add(node.Name);
                }
            }
        }
    }

    [Fact]
    public void MutatedExamplesWithExtremeValuesAndDeepNestingAreAlwaysDiagnosed()
    {
        var examples = SpecAssert.ExampleFiles.Select(File.ReadAllText).ToArray();
        var random = new Random(16_2026);
        var codes = new HashSet<string>();
        var clean = 0;
        Exception? failure = null;
        string? failing = null;
        // A small stack: deep input must never become deep recursion.
        var thread = new Thread(() =>
        {
            for (var n = 0; n < Cases && failure is null; n++)
            {
                var text = Mutate(examples[n % examples.Length], random);
                try
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    var result = SpecCompiler.Compile("f.mtrl", text);
                    var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.True(allocated < 200_000_000, $"allocated {allocated:N0} bytes");
                    Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL9000");
                    AssertWellFormed(text, result);
                    foreach (var d in result.Diagnostics) codes.Add(d.Code);
                    if (!result.HasErrors)
                    {
                        clean++;
                        AssertBuildable(result.Model);
                    }
                }
                catch (Exception exception)
                {
                    failure = exception;
                    failing = text;
                }
            }
        }, 512 * 1024);
        thread.Start();
        thread.Join();

        Assert.True(failure is null, $"{failure}\n--- spec ---\n{failing}");
        // The mutations reach the limits and the semantic checks, and some specs stay valid.
        foreach (var code in new[] { "MTRL0001", "MTRL0002", "MTRL0005", "MTRL0104", "MTRL0300" }) Assert.Contains(code, codes);
        Assert.InRange(clean, Cases / 20, Cases - Cases / 5);
    }
}
