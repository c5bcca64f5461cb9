using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Syntax;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// Sizes a spec asks for are bounded: every count, width and step setting has a range whose
/// message states both ends, and products of them (parameters, activations, replay, gradient
/// copies) are checked in 64-bit before anything is allocated.
/// </summary>
public class LimitsTests
{
    private const string Header = "tasks: 2\n  input obs: 8\n  action: discrete(3)";

    private static string Q(string head) => $"  network q {{\n    out q = {head}\n  }}";

    private static SpecResult Compile(string text) => SpecAssert.Compile(text);

    /// <summary>Compiles on this thread and returns the bytes it allocated meanwhile.</summary>
    private static (SpecResult Result, long Allocated) Measured(string text)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = SpecAssert.Compile(text);
        return (result, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static Diagnostic Single(SpecResult result, string code) =>
        Assert.Single(result.Diagnostics, d => d.Code == code);

    [Theory]
    [InlineData("pathnet(obs, layers: 2147483647, modules: 2147483647, active: 1, width: 4)", "'layers' of pathnet must be an integer in 1..1,000, found 2147483647")]
    [InlineData("pathnet(obs, layers: 2, modules: 2147483647, active: 1, width: 4)", "'modules' of pathnet must be an integer in 1..1,000, found 2147483647")]
    [InlineData("moe(obs, experts: 2147483647, widths: [4])", "'experts' of moe must be an integer in 1..1,000, found 2147483647")]
    [InlineData("soft_modular(obs, by: obs, layers: 2, modules: 65536, width: 4)", "'modules' of soft_modular must be an integer in 1..1,000, found 65536")]
    [InlineData("mlp(obs, widths: [2147483648])", "each width in 'widths' of mlp must be an integer in 1..1,000,000, found 2147483648")]
    [InlineData("mlp(obs, widths: [1e40])", "each width in 'widths' of mlp must be an integer in 1..1,000,000, found 1e40")]
    [InlineData("mlp(obs, widths: 2147483647)", "each width in 'widths' of mlp must be an integer in 1..1,000,000, found 2147483647")]
    [InlineData("linear(obs, width: 2147483647)", "'width' of linear must be an integer in 1..1,000,000, found 2147483647")]
    public void HugeCountsAndWidthsAreRangeErrorsStatingTheRealRange(string block, string message)
    {
        var (result, allocated) = Measured(SpecAssert.Agent(Q($"q_values({block}, per_task: true)"), Header));
        Assert.Contains(result.Diagnostics, d => d.Code == "MTRL0300" && d.Message == message);
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL9000");
        Assert.True(allocated < 32_000_000, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData("train dqn { }", "replay { capacity: 10_000_000_001 }", "'capacity' of replay must be an integer in 1..536,870,912, found 10_000_000_001")]
    [InlineData("train dqn { steps: 9223372036854775808 }", "", "'steps' of train dqn must be an integer in 1..1,000,000,000,000, found 9223372036854775808")]
    [InlineData("train dqn { batch: 2147483647 }", "", "'batch' of train dqn must be an integer in 1..1,048,576, found 2147483647")]
    [InlineData("train dqn { batch: 50_000_000 }", "", "'batch' of train dqn must be an integer in 1..1,048,576, found 50_000_000")]
    [InlineData("train dqn { seed: 9007199254740992 }", "", "'seed' of train dqn must be an integer in 0..9,007,199,254,740,991, found 9007199254740992")]
    [InlineData("train dqn { gamma: 1e40 }", "", "'gamma' of train dqn must be a number in (0, 1], found 1e40")]
    public void TrainingAndReplayMessagesStateTheRealRange(string train, string replay, string message)
    {
        var text = SpecAssert.Agent(Q("q_values(obs)") + "\n  " + replay, Header, train);
        Assert.Contains(Compile(text).Diagnostics, d => d.Code == "MTRL0300" && d.Message == message);
    }

    [Fact]
    public void ValuesAtTheLimitsAreAccepted()
    {
        SpecAssert.Clean(SpecAssert.Agent(Q("q_values(mlp(obs, widths: [1000000]))"),
            $"tasks: {SpecLimits.MaxTasks}\n  input obs: 8\n  action: discrete(3)",
            "train dqn { batch: 256 }"));
        var agent = SpecAssert.Clean(SpecAssert.Agent(Q("q_values(obs)") + "\n  replay { capacity: 536_870_912 }", "tasks: 1\n  input obs: 1\n  action: discrete(2)",
            $"train dqn {{ steps: 1_000_000_000_000 seed: 9007199254740991 batch: {SpecLimits.MaxBatch} }}"));
        Assert.Equal(SpecLimits.MaxReplayCapacity, agent.Replay.Capacity);
        Assert.Equal(SpecLimits.MaxSteps, agent.Training.Steps);
        Assert.Equal(9_007_199_254_740_991, agent.Training.Seed);
    }

    [Theory]
    // Each number is in its range; together they are far beyond any machine.
    [InlineData("pathnet(obs, layers: 1000, modules: 1000, active: 2, width: 1000000)", "pathnet 'q_pathnet' would have 999,001,008,000,000,000 parameters; an agent may have at most 1,000,000,000")]
    [InlineData("soft_modular(obs, by: obs, layers: 1000, modules: 1000, width: 1000000)", "soft_modular 'q_soft_modular' would have ")]
    [InlineData("moe(obs, experts: 1000, widths: [1000000, 1000000])", "moe 'q_moe' would have ")]
    [InlineData("progressive(obs, widths: [1000000, 1000000], reduction: 1000000)", "progressive 'q_progressive' would have ")]
    [InlineData("film(mlp(obs, widths: [1000000]), by: mlp(obs, widths: [12750]))", "film 'q_film' would have 25,502,000,000 parameters")]
    public void SizesBeyondTheParameterLimitAreReportedBeforeAllocating(string block, string message)
    {
        var (result, allocated) = Measured(SpecAssert.Agent(Q($"q_values({block}, per_task: true)"), "tasks: 10\n  input obs: 8\n  action: discrete(3)"));
        var error = Single(result, "MTRL0301");
        Assert.StartsWith(message, error.Message);
        Assert.Contains("an agent may have at most 1,000,000,000", error.Message);
        // Reported at the layer that is too large.
        var at = SpecAssert.Agent(Q($"q_values({block}, per_task: true)"), "tasks: 10\n  input obs: 8\n  action: discrete(3)").IndexOf(block.Substring(0, block.IndexOf('(')), StringComparison.Ordinal);
        Assert.Equal(at, error.Span.Start);
        Assert.True(allocated < 32_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void TooManyParameterTensorsAreReportedBeforeAllocating()
    {
        // 65,536 tasks × 1,000 layers × (weight, bias): 131 million tiny tensors.
        var widths = "[" + string.Join(", ", Enumerable.Repeat("1", 1000)) + "]";
        var (result, allocated) = Measured(SpecAssert.Agent(Q($"q_values(heads(obs, widths: {widths}))"), "tasks: 65536\n  input obs: 8\n  action: discrete(3)"));
        var error = Single(result, "MTRL0301");
        Assert.Equal("heads 'q_heads' would have 131,072,000 parameter tensors; an agent may have at most 1,000,000; lower its layer, task or module counts", error.Message);
        Assert.True(allocated < 64_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void TheAgentTotalCountsBlocksOnceAndIsReportedWhereItCrossesTheLimit()
    {
        // Each layer has 600,000,600 parameters: one fits, the second crosses the limit.
        var text = SpecAssert.Agent(
            "  block big = linear(width: 600)\n" +
            "  network q {\n    a = big(obs)\n    b = big(obs)\n    c = linear(concat(a, b), width: 500000)\n    out q = q_values(c)\n  }",
            "tasks: 2\n  input obs: 1000000\n  action: discrete(3)",
            "train dqn { batch: 16 }\n  replay { capacity: 1000 }");
        var result = Compile(text);
        var error = Single(result, "MTRL0301");
        Assert.Equal("linear 'c' would have 600,500,000 parameters, bringing the agent to 1,200,500,600; an agent may have at most 1,000,000,000; lower its widths or counts", error.Message);
        Assert.Equal(text.IndexOf("linear(concat", StringComparison.Ordinal), error.Span.Start);
    }

    [Fact]
    public void ABatchWhoseActivationsCannotBeAllocatedIsReportedAtBatch()
    {
        var text = SpecAssert.Agent(Q("q_values(mlp(obs, widths: [400, 400]))"), "tasks: 2\n  input obs: 39\n  action: discrete(3)", "train dqn { batch: 1_000_000 }");
        var error = Single(Compile(text), "MTRL0301");
        Assert.Equal(text.IndexOf("1_000_000", StringComparison.Ordinal), error.Span.Start);
        // 39 inputs + 3 actions + 800 hidden + 3 q values per sample.
        Assert.Equal("a batch of 1,000,000 × 845 activation floats per sample (inputs and every layer's outputs) = 845,000,000 floats; one pass may hold at most 268,435,456 (1 GiB): 'batch' can be at most 317,675 with these widths", error.Message);
        Assert.Empty(Compile(text.Replace("1_000_000", "317_675")).Diagnostics);
    }

    [Fact]
    public void AReplayBufferThatCannotBeAllocatedIsReportedAtCapacity()
    {
        var wide = SpecAssert.Agent(Q("q_values(linear(obs, width: 4))"), "tasks: 2\n  input obs: 1000000\n  action: discrete(3)", "train dqn { batch: 16 }");
        var field = Single(Compile(wide), "MTRL0301");
        Assert.Equal("a replay field holds capacity × width elements: 1,000,000 × 1,000,000 = 1,000,000,000,000, but one array holds at most 2,147,483,591; 'capacity' can be at most 2,147 with these widths", field.Message);
        // Without a replay section the default capacity applies; the error points at the agent.
        Assert.Equal(1, field.Span.Line);

        // Every field fits an array, but all of them together (with priorities) do not fit the budget.
        var big = SpecAssert.Agent(SacNetworks + "\n  replay { capacity: 536_000_000 priority: proportional }",
            "tasks: 2\n  input obs: 4\n  goal g: 4\n  action: continuous(4)", "train sac { }");
        var bytes = Single(Compile(big), "MTRL0301");
        Assert.Equal("the replay buffer would take about 64.9 GiB (536,000,000 transitions × 130 bytes); it may take at most 64.0 GiB: 'capacity' can be at most 528,611,359 with these widths", bytes.Message);
        Assert.Equal(big.IndexOf("536_000_000", StringComparison.Ordinal), bytes.Span.Start);
    }

    [Fact]
    public void GradientProjectionCopiesAreBounded()
    {
        var text = SpecAssert.Agent(Q("q_values(mlp(obs, widths: [15000, 15000]))"), "tasks: 10\n  input obs: 8\n  action: discrete(3)", "train dqn { batch: 16 gradients: pcgrad }");
        var error = Single(Compile(text), "MTRL0301");
        Assert.StartsWith("pcgrad keeps one gradient of the shared parameters per task: 10 tasks × 225,195,003 shared parameters = 2,251,950,030 floats", error.Message);
        Assert.Equal(text.IndexOf("pcgrad", StringComparison.Ordinal), error.Span.Start);
        Assert.DoesNotContain(Compile(text.Replace("gradients: pcgrad", "")).Diagnostics, d => d.Code == "MTRL0301");
    }

    [Fact]
    public void AConcatWiderThanAWidthMayBeIsReported()
    {
        var text = SpecAssert.Agent(Q("q_values(concat(obs, obs))"), "tasks: 2\n  input obs: 600000\n  action: discrete(3)", "train dqn { batch: 1 }\n  replay { capacity: 100 }");
        Assert.Contains(Compile(text).Diagnostics, d => d.Code == "MTRL0300" && d.Message == "concat makes a width of 1,200,000, but a width must be an integer in 1..1,000,000");
    }

    [Fact]
    public void AWidthsListLongerThanTheLayerLimitIsOneError()
    {
        var widths = "[" + string.Join(", ", Enumerable.Repeat("1", 100_000)) + "]";
        var result = Compile(SpecAssert.Agent(Q($"q_values(mlp(obs, widths: {widths}))"), Header));
        var error = Single(result, "MTRL0300");
        Assert.Equal("'widths' of mlp must list 1..1,000 widths (one per layer), found 100,000", error.Message);
    }

    // ---- every numeric setting: a message never states a rule the value meets ----------

    private const string Sac = "tasks: 2\n  input obs: 8\n  action: continuous(2)";
    private const string SacNetworks = "  network pi {\n    out pi = gaussian(mlp(obs, widths: [4]))\n  }\n  network c {\n    out q = q_values(mlp(concat(obs, action), widths: [4]))\n  }";
    private const string Td3Networks = "  network pi {\n    out pi = deterministic(mlp(obs, widths: [4]))\n  }\n  network c {\n    out q = q_values(mlp(concat(obs, action), widths: [4]))\n  }";

    /// <summary>One spec per numeric setting, with V where the value goes.</summary>
    public static readonly string[] Settings = BuildSettings();

    private static string[] BuildSettings()
    {
        var specs = new List<string>
        {
            SpecAssert.Agent(Q("q_values(obs)"), "tasks: V\n  input obs: 8\n  action: discrete(3)"),
            SpecAssert.Agent(Q("q_values(obs)"), "tasks: 2\n  input obs: V\n  action: discrete(3)"),
            SpecAssert.Agent(Q("q_values(obs)"), "tasks: 2\n  input obs: 8\n  goal g: V\n  action: discrete(3)"),
            SpecAssert.Agent(Q("q_values(obs)"), "tasks: 2\n  input obs: 8\n  action: discrete(V)"),
            SpecAssert.Agent(SacNetworks, "tasks: 2\n  input obs: 8\n  action: continuous(size: V)", "train sac { }"),
        };
        foreach (var block in new[]
                 {
                     "mlp(obs, widths: [V])", "mlp(obs, widths: V)", "linear(obs, width: V)", "embedding(task, dim: V)",
                     "heads(obs, widths: [4, V])",
                     "moe(obs, experts: V, widths: [4])", "moe(obs, experts: 4, widths: [V])", "moe(obs, experts: 4, widths: [4], gate: topk(k: V))",
                     "moe(obs, experts: 4, widths: [4], gate: attention(temperature: V))", "moe(obs, experts: 4, widths: [4], gate: attention(widths: [V]))",
                     "soft_modular(obs, by: obs, layers: V, modules: 2, width: 4)", "soft_modular(obs, by: obs, layers: 2, modules: V, width: 4)",
                     "soft_modular(obs, by: obs, layers: 2, modules: 2, width: V)", "soft_modular(obs, by: obs, layers: 2, modules: 2, width: 4, routing: V)",
                     "progressive(obs, widths: [4, 4], reduction: V)", "progressive(obs, widths: [4, 4], alpha: V)", "progressive(obs, widths: [4], columns: V)",
                     "pathnet(obs, layers: V, modules: 2, active: 1, width: 4)", "pathnet(obs, layers: 2, modules: V, active: 1, width: 4)",
                     "pathnet(obs, layers: 2, modules: 2, active: V, width: 4)", "pathnet(obs, layers: 2, modules: 2, active: 1, width: V)",
                 })
        {
            specs.Add(SpecAssert.Agent(Q($"q_values({block}, per_task: true)"), Header));
        }
        foreach (var setting in new[]
                 {
                     "gamma", "lr", "batch", "steps", "warmup", "train_every", "gradient_steps", "grad_clip", "tau", "seed",
                     "target_update_every", "epsilon_start", "epsilon_end", "epsilon_decay_steps",
                 })
        {
            specs.Add(SpecAssert.Agent(Q("q_values(obs)"), Header, $"train dqn {{ {setting}: V }}"));
        }
        foreach (var option in new[] { "gradients: cagrad(c: V)", "gradients: gradnorm(alpha: V)", "gradients: gradnorm(lr: V)", "loss_weights: fixed(weights: [V, 1])", "schedule: sequential(steps_per_task: V)" })
        {
            specs.Add(SpecAssert.Agent(Q("q_values(obs)"), Header, $"train dqn {{ {option} }}"));
        }
        foreach (var setting in new[] { "alpha", "alpha_init", "alpha_lr", "actor_lr", "critic_lr", "actor_update_every", "target_update_every" })
        {
            specs.Add(SpecAssert.Agent(SacNetworks, Sac, $"train sac {{ {(setting == "alpha_init" ? "alpha: learned " : "")}{setting}: V }}"));
        }
        foreach (var setting in new[] { "policy_noise", "noise_clip", "policy_delay", "exploration_noise", "actor_lr", "critic_lr" })
        {
            specs.Add(SpecAssert.Agent(Td3Networks, Sac, $"train td3 {{ {setting}: V }}"));
        }
        foreach (var setting in new[] { "capacity: V", "priority: proportional(alpha: V)", "priority: proportional(beta: V)", "priority: proportional(beta_final: V)", "priority: proportional(epsilon: V)", "her: future(k: V)" })
        {
            specs.Add(SpecAssert.Agent(Q("q_values(obs)") + $"\n  replay {{ {setting} }}", "tasks: 2\n  input obs: 8\n  goal g: 2\n  action: discrete(3)"));
        }
        foreach (var setting in new[] { "population", "tournament", "mutation", "mutation_shift", "steps_per_evaluation" })
        {
            specs.Add(SpecAssert.Agent(Q("q_values(pathnet(obs, layers: 2, modules: 3, active: 2, width: 4), per_task: true)") + $"\n  evolution {{ {setting}: V }}", Header));
        }
        return specs.ToArray();
    }

    private static readonly string[] ExtremeValues =
    {
        "0", "-1", "0.5", "1", "2", "65537", "1000001", "2147483647", "2147483648", "4294967296", "10_000_000_001",
        "9007199254740993", "9223372036854775808", "1e40", "-1e40", "1e-40", "-0.0",
    };

    private static readonly Regex Rule = new(@"must be (an integer|a number) (.+), found (\S+)$", RegexOptions.Compiled);

    private static double Number(string text) => double.Parse(text.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>True if <paramref name="value"/> satisfies the rule as stated, e.g. "in 1..1,000" or "in (0, 1]".</summary>
    private static bool Satisfies(double value, bool integer, string rule)
    {
        if (integer && Math.Floor(value) != value) return false;
        Match m;
        if ((m = Regex.Match(rule, @"^in (-?[0-9.,E+\-]+)\.\.(-?[0-9.,E+\-]+)$")).Success)
        {
            return value >= Number(m.Groups[1].Value) && value <= Number(m.Groups[2].Value);
        }
        if ((m = Regex.Match(rule, @"^in ([\[(])(\S+), (\S+)([\])])$")).Success)
        {
            var low = Number(m.Groups[2].Value);
            var high = Number(m.Groups[3].Value);
            return (m.Groups[1].Value == "[" ? value >= low : value > low) && (m.Groups[4].Value == "]" ? value <= high : value < high);
        }
        if ((m = Regex.Match(rule, @"^greater than (\S+)$")).Success) return value > Number(m.Groups[1].Value);
        if ((m = Regex.Match(rule, @"^of at least (\S+)$")).Success) return value >= Number(m.Groups[1].Value);
        if ((m = Regex.Match(rule, @"^less than (\S+)$")).Success) return value < Number(m.Groups[1].Value);
        if ((m = Regex.Match(rule, @"^of at most (\S+)$")).Success) return value <= Number(m.Groups[1].Value);
        throw new Xunit.Sdk.XunitException($"unparsed rule '{rule}'");
    }

    [Fact]
    public void EveryRangeMessageStatesARuleTheValueBreaks()
    {
        var rejected = new HashSet<int>();
        var checkedMessages = 0;
        for (var s = 0; s < Settings.Length; s++)
        {
            foreach (var value in ExtremeValues)
            {
                var text = Settings[s].Replace("V", value);
                var result = Compile(text);
                Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL9000");
                foreach (var d in result.Diagnostics.Where(d => d.Code == "MTRL0300"))
                {
                    var m = Rule.Match(d.Message);
                    if (!m.Success || m.Groups[3].Value != value) continue;
                    Assert.True(NumberSyntax.TryParse(value, out var number));
                    Assert.False(Satisfies(number, m.Groups[1].Value == "an integer", m.Groups[2].Value),
                        $"the message states a rule the value meets:\n{d}\nin:\n{text}");
                    rejected.Add(s);
                    checkedMessages++;
                }
            }
        }
        // Every setting above rejects some extreme value with a stated range.
        var silent = Enumerable.Range(0, Settings.Length).Where(s => !rejected.Contains(s)).Select(s => Settings[s]).ToList();
        Assert.True(silent.Count == 0, "settings that never reported a range:\n" + string.Join("\n----\n", silent));
        Assert.True(checkedMessages > 200, $"only {checkedMessages} range messages checked");
    }

    [Theory]
    [InlineData("  network q {\n    @@true = mlp(obs, widths: [4])\n    out q = q_values(true)\n  }", "'true' is a reserved word (a boolean value); pick another name")]
    [InlineData("  network q {\n    @@false = mlp(obs, widths: [4])\n    out q = q_values(obs)\n  }", "'false' is a reserved word (a boolean value); pick another name")]
    [InlineData("  input @@true: 4\n  network q {\n    out q = q_values(obs)\n  }", "'true' is a reserved word (a boolean value); pick another name")]
    [InlineData("  goal @@false: 4\n  network q {\n    out q = q_values(obs)\n  }", "'false' is a reserved word (a boolean value); pick another name")]
    [InlineData("  block @@true = mlp(widths: [4])\n  network q {\n    out q = q_values(obs)\n  }", "'true' is a reserved word (a boolean value); pick another name")]
    [InlineData("  block @@task = mlp(widths: [4])\n  network q {\n    out q = q_values(obs)\n  }", "'task' is built in; pick another name")]
    [InlineData("  network q {\n    @@action = mlp(obs, widths: [4])\n    out q = q_values(obs)\n  }", "'action' is built in; pick another name")]
    public void ReservedNamesCannotNameValues(string body, string message)
    {
        var marked = SpecAssert.Agent(body, Header);
        var at = marked.IndexOf("@@", StringComparison.Ordinal);
        var result = Compile(marked.Remove(at, 2));
        var error = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0104");
        Assert.Equal(message, error.Message);
        Assert.Equal(at, error.Span.Start);
    }

    [Fact]
    public void TheDocumentedReservedNamesAreExactlyTheOnesRefused()
    {
        var docs = System.IO.File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "docs", "language.md"));
        var sentence = Regex.Match(docs, @"Keywords are contextual: (.+?) are the only reserved names of values");
        Assert.True(sentence.Success);
        var documented = Regex.Matches(sentence.Groups[1].Value, "`([a-z_]+)`").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(new[] { "task", "action", "true", "false" }, documented);
        foreach (var name in documented) Assert.NotNull(Semantics.AgentScope.ReservedReason(name));
        Assert.Null(Semantics.AgentScope.ReservedReason("obs"));
    }
}
