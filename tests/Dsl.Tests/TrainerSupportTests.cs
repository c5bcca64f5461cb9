using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// The one decision on whether an agent gets a trainer: the generator reports MTRL0410 with its
/// reason and the CLI refuses to train with it, so each reason is pinned here once.
/// </summary>
public class TrainerSupportTests
{
    private static AgentModel Agent(string action, string networks, string train, string extra = "") =>
        Assert.Single(SpecAssert.Compile($"agent A {{\n  tasks: 2\n  input obs: 3\n  action: {action}\n  {networks}\n  {train}\n  {extra}\n}}\n").Model.Agents);

    [Theory]
    [InlineData("discrete(2)", "network q { out q = q_values(obs) }", "train dqn { }")]
    [InlineData("discrete(2)", "network q { out q = q_values(obs) }\n network pi { out pi = categorical(obs) }", "train distral { }")]
    [InlineData("continuous(2)", "network pi { out pi = gaussian(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train sac { }")]
    [InlineData("continuous(2)", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train td3 { }")]
    public void SupportedAgentsHaveNoReason(string action, string networks, string train)
    {
        Assert.Null(TrainerSupport.Check(Agent(action, networks, train)));
    }

    [Theory]
    [InlineData("discrete(2)", "network pi { out pi = categorical(obs) }\n network q { out q = q_values(obs) }", "train sac { }", "needs continuous actions")]
    [InlineData("discrete(2)", "network a { out a = q_values(obs) }\n network b { out b = q_values(obs) }", "train dqn { }", "dqn needs exactly one q_values network, found 2")]
    [InlineData("discrete(2)", "network q { out q = q_values(obs) }", "train distral { }", "distral needs exactly one categorical network")]
    [InlineData("continuous(2)", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, detach(action))) }", "train td3 { }", "reads the action only through detach")]
    [InlineData("continuous(2)", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train sac { }", "sac needs exactly one policy network with a gaussian head, found 0")]
    public void UnsupportedAgentsGetTheirReason(string action, string networks, string train, string reason)
    {
        var why = TrainerSupport.Check(Agent(action, networks, train));
        Assert.NotNull(why);
        Assert.Contains(reason, why);
    }

    [Fact]
    public void PrioritizedReplayWithHerHasNoTrainer()
    {
        var agent = Agent("continuous(2)", "goal g: 2\n network pi { out pi = gaussian(concat(obs, g)) }\n network q { out q = q_values(concat(obs, g, action)) }",
            "train sac { }", "replay { priority: proportional(alpha: 0.5)  her: future(k: 4) }");
        Assert.Contains("prioritized replay cannot be combined with HER", TrainerSupport.Check(agent));
    }

    [Fact]
    public void TheActionReceivesAGradientUnlessEveryPathDetachesIt()
    {
        var through = Agent("continuous(2)", "network q { out q = q_values(mlp(concat(obs, action), widths: [4])) }", "train sac { }").Networks.Single();
        var detached = Agent("continuous(2)", "network q { out q = q_values(mlp(concat(obs, detach(action)), widths: [4])) }", "train sac { }").Networks.Single();
        Assert.True(GradientFlow.ActionReceivesGradient(through));
        Assert.False(GradientFlow.ActionReceivesGradient(detached));
    }

    [Fact]
    public void OnlyNodesWithTrainableParametersUpstreamNeedAGradient()
    {
        var q = Agent("discrete(2)", "network q {\n    c = concat(obs, onehot(task))\n    h = mlp(c, widths: [4])\n    out q = q_values(h)\n  }", "train dqn { }").Networks.Single();
        var needs = GradientFlow.NodesNeedingGradient(q);
        Assert.Contains("h", needs);
        Assert.Contains(q.Output.Name, needs);
        Assert.DoesNotContain("c", needs);
    }
}
