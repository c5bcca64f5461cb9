using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// <c>mtrl train --env</c>: which built-in environment an agent fits, how it is shaped to the
/// agent, and the one-line message for every mismatch and bad CartPole option.
/// </summary>
public sealed class TrainingEnvironmentTests : IDisposable
{
    private static readonly string Specs = Path.Combine(AppContext.BaseDirectory, "specs");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-envs-" + Guid.NewGuid().ToString("N"));

    public TrainingEnvironmentTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static AgentModel Example(string file)
    {
        var path = Path.Combine(Specs, file);
        var result = SpecCompiler.Compile(path, File.ReadAllText(path));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Model.Agents);
    }

    /// <summary>A small agent with the given interface; <paramref name="head"/> must suit <paramref name="action"/>.</summary>
    private static AgentModel Agent(int tasks, string inputs, string action, string algorithm = "sac")
    {
        var networks = algorithm == "dqn"
            ? "  network q {\n    out q = q_values(mlp(obs, widths: [8]))\n  }\n"
            : "  network actor {\n    out pi = gaussian(mlp(obs, widths: [8]))\n  }\n  network critic {\n    out q = q_values(mlp(concat(obs, action), widths: [8]))\n  }\n";
        var text = $"agent A {{\n  tasks: {tasks}\n{inputs}\n  action: {action}\n{networks}  train {algorithm} {{ }}\n}}\n";
        var result = SpecCompiler.Compile("a.mtrl", text);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Model.Agents);
    }

    private static IVectorEnvironment? Create(string name, AgentModel agent, int count, out string problem, CartPoleSettings? cartPole = null)
        => TrainingEnvironments.Create(name, agent, count, cartPole ?? CartPoleSettings.None, CpuAccelerator.Sequential, out problem);

    [Theory]
    [InlineData("mt_mh_sac.mtrl")]
    [InlineData("moe_sac.mtrl")]
    [InlineData("soft_modular_sac.mtrl")]
    [InlineData("task_embedding_sac.mtrl")]
    public void EverySacExampleFitsPointMassWithTheGoalInsideTheObservation(string file)
    {
        // 20, not 12: mt_mh_sac's per_task replay needs every task run by as many environments.
        var environment = Create("pointmass", Example(file), 20, out var problem);

        Assert.True(environment is not null, problem);
        Assert.IsAssignableFrom<IContinuousVectorEnvironment>(environment);
        Assert.False(environment is IGoalVectorEnvironment, "the goal is in the observation; a trainer must not feed it again");
        Assert.Equal((6, 10, 20), (environment.ObservationSize, environment.TaskCount, environment.EnvironmentCount));
        Assert.Equal(ActionKind.Continuous, environment.ActionSpace.Kind);
        Assert.Equal([-1f, -1f], environment.ActionSpace.Low);
        Assert.Equal([1f, 1f], environment.ActionSpace.High);

        // Round-robin tasks; dense reward −distance; observation columns 4, 5 are the goal.
        environment.Reset(3);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i % 10), environment.Buffers.TaskIds);
        ((IContinuousVectorEnvironment)environment).Step(new float[40]);
        var buffers = environment.Buffers;
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(buffers.DesiredGoals.AsSpan(2 * i, 2).ToArray(), buffers.Observations.AsSpan(6 * i + 4, 2).ToArray());
            float dx = buffers.Observations[6 * i] - buffers.Observations[6 * i + 4], dy = buffers.Observations[6 * i + 1] - buffers.Observations[6 * i + 5];
            Assert.Equal(-MathF.Sqrt(dx * dx + dy * dy), buffers.Rewards[i], 5);
        }
    }

    [Fact]
    public void TheGoalExampleFitsGoalPointMassWithSparseRewards()
    {
        var environment = Create("pointmass-goal", Example("goal_td3_pcgrad.mtrl"), 10, out var problem);

        var pointMass = Assert.IsType<PointMassVectorEnvironment>(environment, exactMatch: true);
        Assert.True(pointMass.Options.SparseReward, problem);
        Assert.False(pointMass.Options.GoalInObservation);
        Assert.Equal((4, 2, 10), (pointMass.ObservationSize, pointMass.GoalSize, pointMass.TaskCount));
        Assert.Equal(PointMassTaskSuite.Ten, pointMass.Options.Tasks);
        pointMass.Reset(1);
        pointMass.Step(new float[20]);
        Assert.All(pointMass.Buffers.Rewards, r => Assert.Equal(-1f, r));
    }

    [Theory]
    [InlineData("pointmass", "  input obs: 6")]
    [InlineData("pointmass-goal", "  input obs: 4\n  goal target: 2")]
    public void AOneTaskAgentRunsOnlyTheFirstTaskOfTheSuite(string name, string inputs)
    {
        var environment = Create(name, Agent(1, inputs, "continuous(2)"), 1, out var problem);

        Assert.True(environment is not null, problem);
        Assert.Equal(1, environment.TaskCount);
        var pointMass = environment as PointMassVectorEnvironment ?? (PointMassVectorEnvironment)((ObservationOnlyVectorEnvironment)environment).Inner;
        Assert.Equal([PointMassTaskSuite.Ten[0]], pointMass.Options.Tasks);
    }

    [Theory]
    // Observation and goal widths, with a hint at the other PointMass.
    [InlineData("pointmass", 10, "  input obs: 4\n  goal target: 2", "continuous(2)",
        "pointmass gives observations 6 wide and goals 0 wide, but agent 'A' declares inputs 4 and goals 2 wide; for a goal-conditioned agent use --env pointmass-goal")]
    [InlineData("pointmass-goal", 10, "  input obs: 6", "continuous(2)",
        "pointmass-goal gives observations 4 wide and goals 2 wide, but agent 'A' declares inputs 6 and goals 0 wide; for an agent without a goal input use --env pointmass")]
    [InlineData("pointmass", 10, "  input obs: 39", "continuous(4)",
        "pointmass gives observations 6 wide and goals 0 wide, but agent 'A' declares inputs 39 and goals 0 wide")]
    [InlineData("cartpole", 1, "  input obs: 6", "discrete(2)",
        "cartpole gives observations 4 wide and goals 0 wide, but agent 'A' declares inputs 6 and goals 0 wide")]
    // Action kind, size and bounds.
    [InlineData("pointmass", 10, "  input obs: 6", "continuous(3)",
        "pointmass has continuous(2) [-1, 1] actions, but agent 'A' declares continuous(3, low: -1, high: 1)")]
    [InlineData("pointmass", 10, "  input obs: 6", "continuous(2, low: -2, high: 2)",
        "pointmass bounds its actions to [-1, 1], but agent 'A' declares continuous(2, low: -2, high: 2)")]
    [InlineData("pointmass", 10, "  input obs: 6", "continuous(2, low: -1, high: 0.5)",
        "pointmass bounds its actions to [-1, 1], but agent 'A' declares continuous(2, low: -1, high: 0.5)")]
    [InlineData("cartpole", 1, "  input obs: 4", "continuous(2)",
        "cartpole has discrete(2) actions, but agent 'A' declares continuous(2, low: -1, high: 1)")]
    [InlineData("gridworld", 4, "  input obs: 169", "discrete(5)",
        "gridworld has discrete(4) actions, but agent 'A' declares discrete(5)")]
    // Task counts.
    [InlineData("pointmass", 3, "  input obs: 6", "continuous(2)",
        "pointmass runs 10 tasks (or only its task 0, for an agent with tasks: 1), but agent 'A' learns 3")]
    [InlineData("pointmass-goal", 2, "  input obs: 4\n  goal target: 2", "continuous(2)",
        "pointmass-goal runs 10 tasks (or only its task 0, for an agent with tasks: 1), but agent 'A' learns 2")]
    [InlineData("gridworld", 5, "  input obs: 169", "discrete(4)",
        "gridworld runs 4 task(s), but agent 'A' learns 5")]
    public void EveryMismatchIsOneLineNamingBothSides(string name, int tasks, string inputs, string action, string message)
    {
        var agent = Agent(tasks, inputs, action, action.StartsWith("discrete", StringComparison.Ordinal) ? "dqn" : "sac");
        var environment = Create(name, agent, 16, out var problem);
        Assert.Null(environment);
        Assert.Equal(message, problem);
    }

    [Theory]
    [InlineData("pointmass", "  input obs: 6", 9, "--envs must be at least 10 for pointmass, so that each of its 10 tasks runs in some environment (environment i runs task i mod 10); found 9")]
    [InlineData("pointmass-goal", "  input obs: 4\n  goal target: 2", 1, "--envs must be at least 10 for pointmass-goal, so that each of its 10 tasks runs in some environment (environment i runs task i mod 10); found 1")]
    public void TooFewEnvironmentsForEveryTaskNamesEnvsAndTheMinimum(string name, string inputs, int count, string message)
    {
        Assert.Null(Create(name, Agent(10, inputs, "continuous(2)"), count, out var problem));
        Assert.Equal(message, problem);
        Assert.NotNull(Create(name, Agent(10, inputs, "continuous(2)"), 10, out _));
    }

    [Theory]
    [InlineData("bitflip")]
    [InlineData("cartpole")]
    [InlineData("pointmass-goal")]
    public void InputsWhoseWidthsSumBeyondInt32AreAMismatchNotAnOverflow(string name)
    {
        // Built from a compiled agent so the test does not depend on the front end's width limit.
        var compiled = Agent(1, "  input obs: 4\n  goal target: 4", "discrete(4)", "dqn");
        var huge = compiled.Inputs.Select(i => i with { Width = int.MaxValue }).ToEquatableArray();
        var agent = compiled with { Inputs = huge };

        Assert.Null(Create(name, agent, 8, out var problem));
        Assert.Contains("2147483647", problem, StringComparison.Ordinal);
        if (name != "bitflip") Assert.Contains("declares inputs 2147483647 and goals 2147483647 wide", problem, StringComparison.Ordinal);

        var doubled = compiled with { Inputs = huge.Concat(huge.Select(i => i with { Name = i.Name + "2" })).ToEquatableArray() };
        Assert.Null(Create(name, doubled, 8, out problem));
        Assert.Contains("4294967294", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void PerTaskReplayNeedsAMultipleOfTheTaskCountOfEnvironments()
    {
        var text = "agent A {\n  tasks: 4\n  input obs: 169\n  action: discrete(4)\n  network q {\n    out q = q_values(mlp(obs, widths: [8]))\n  }\n  train dqn { }\n  replay { per_task: true }\n}\n";
        var agent = Assert.Single(SpecCompiler.Compile("a.mtrl", text).Model.Agents);

        Assert.Null(Create("gridworld", agent, 6, out var problem));
        Assert.Equal("--envs must be a multiple of 4 for agent 'A', whose replay is per_task (each of the 4 tasks gets an equal share, so each needs as many environments; environment i runs task i mod 4); found 6", problem);
        Assert.NotNull(Create("gridworld", agent, 8, out _));
        Assert.NotNull(Create("gridworld", Agent(4, "  input obs: 169", "discrete(4)", "dqn"), 6, out _));
    }

    [Fact]
    public void PathNetFitsTwoTaskCartPoleAndProgressiveFitsGridWorld()
    {
        var cartPole = Assert.IsType<CartPoleVectorEnvironment>(Create("cartpole", Example("pathnet_dqn.mtrl"), 8, out var problem));
        Assert.Equal("", problem);
        Assert.Equal(CartPoleTaskSuite.Two, cartPole.Options.Tasks);
        cartPole.Reset(2);
        Assert.Equal([0.5f, 1f, 0.5f], cartPole.HalfPoleLength[..3].ToArray());

        var grid = Create("gridworld", Example("progressive_dqn.mtrl"), 8, out problem);
        Assert.True(grid is GridWorldVectorEnvironment, problem);
        Assert.Equal((169, 4), (grid.ObservationSize, grid.TaskCount));
    }

    [Fact]
    public void CartPoleTaskCountsAndRandomizationOfMultiTaskCartPoleAreNamed()
    {
        Assert.Null(Create("cartpole", Agent(4, "  input obs: 4", "discrete(2)", "dqn"), 8, out var problem));
        Assert.Equal("cartpole runs 1 task, 2 (CartPole-v1 and a long heavy pole) or 3 (and a heavy cart with a short pole) for agents with tasks: 2 or 3; agent 'A' learns 4", problem);
        var three = Create("cartpole", Agent(3, "  input obs: 4", "discrete(2)", "dqn"), 8, out problem);
        Assert.True(three is CartPoleVectorEnvironment { TaskCount: 3 }, problem);

        Assert.Null(Create("cartpole", Agent(2, "  input obs: 4", "discrete(2)", "dqn"), 8, out problem, new CartPoleSettings(MassPole: "0.1:0.2")));
        Assert.Equal("--cartpole-mass-pole applies only to single-task CartPole; agent 'A' learns 2 tasks, which have fixed physics each", problem);

        Assert.Null(Create("cartpole", Agent(2, "  input obs: 4", "discrete(2)", "dqn"), 1, out problem));
        Assert.StartsWith("--envs must be at least 2 for cartpole", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CartPoleTakesItsRandomizationFromTheOptions()
    {
        var agent = Agent(1, "  input obs: 4", "discrete(2)", "dqn");
        var settings = new CartPoleSettings(MassCart: "0.5:2", MassPole: "0.2", PoleLength: "0.25:1", Force: "5:15");
        var environment = Assert.IsType<CartPoleVectorEnvironment>(Create("cartpole", agent, 64, out var problem, settings));

        Assert.Equal("", problem);
        Assert.Equal(new UniformRange(0.5f, 2f), environment.Options.MassCart);
        Assert.Equal(UniformRange.Fixed(0.2f), environment.Options.MassPole);
        Assert.Equal(new UniformRange(0.25f, 1f), environment.Options.HalfPoleLength);
        Assert.Equal(new UniformRange(5f, 15f), environment.Options.ForceMagnitude);
        environment.Reset(9);
        Assert.All(environment.HalfPoleLength.ToArray(), l => Assert.InRange(l, 0.25f, 1f));
        Assert.True(environment.HalfPoleLength.ToArray().Distinct().Count() > 1);
        Assert.All(environment.MassPole.ToArray(), m => Assert.Equal(0.2f, m));

        var plain = Assert.IsType<CartPoleVectorEnvironment>(Create("cartpole", agent, 8, out _));
        Assert.False(plain.Options.IsRandomized);
    }

    [Fact]
    public void CartPoleOptionsOnAnotherEnvironmentAreNamed()
    {
        var agent = Agent(10, "  input obs: 6", "continuous(2)");
        Assert.Null(Create("pointmass", agent, 10, out var problem, new CartPoleSettings(Force: "5:15")));
        Assert.Equal("--cartpole-force applies only to --env cartpole; found --env pointmass", problem);
    }

    private const string CartPoleDqn = """
        agent Pole {
          input state: 4
          action: discrete(2)
          network q {
            out q = q_values(mlp(state, widths: [16]))
          }
          train dqn { }
        }
        """;

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--cartpole-mass-cart", "abc", "cart mass in kg", "0.5:2", "1")]
    [InlineData("--cartpole-mass-cart", "0", "cart mass in kg", "0.5:2", "1")]
    [InlineData("--cartpole-mass-pole", "-0.1", "pole mass in kg", "0.05:0.2", "0.1")]
    [InlineData("--cartpole-mass-pole", "0.2:0.1", "pole mass in kg", "0.05:0.2", "0.1")]
    [InlineData("--cartpole-pole-length", "0.1:0.2:0.3", "half pole length in m", "0.25:1", "0.5")]
    [InlineData("--cartpole-pole-length", "nan", "half pole length in m", "0.25:1", "0.5")]
    [InlineData("--cartpole-force", "1e40", "push magnitude in N", "5:20", "10")]
    [InlineData("--cartpole-force", "5:", "push magnitude in N", "5:20", "10")]
    [InlineData("--cartpole-force", "1,5", "push magnitude in N", "5:20", "10")]
    public void ABadCartPoleOptionIsOneLineNamingItAndTheAllowedForm(string option, string value, string what, string example, string standard)
    {
        var spec = Path.Combine(_directory, "pole.mtrl");
        File.WriteAllText(spec, CartPoleDqn);

        var (code, output, error) = Run("train", spec, "--env", "cartpole", option, value);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(
            $"mtrl: error: {option} ({what}) must be a number V or a range LO:HI with 0 < LO <= HI, e.g. {option} {example} (CartPole-v1: {standard}); found '{value}'" + Environment.NewLine,
            error);
    }

    [Fact]
    public void ACartPoleOptionWithAnotherEnvironmentIsNamedOnTheCommandLine()
    {
        var spec = Path.Combine(_directory, "pole.mtrl");
        File.WriteAllText(spec, CartPoleDqn);

        var (code, _, error) = Run("train", spec, "--env", "gridworld", "--cartpole-pole-length", "0.25:1");

        Assert.Equal(2, code);
        Assert.Equal("mtrl: error: --cartpole-pole-length applies only to --env cartpole; found --env gridworld" + Environment.NewLine, error);
    }

    [Fact]
    public void ADqnAgentOnPointMassIsToldTheActionsDiffer()
    {
        var spec = Path.Combine(_directory, "point.mtrl");
        File.WriteAllText(spec, CartPoleDqn.Replace("input state: 4", "tasks: 10\n  input state: 6", StringComparison.Ordinal));

        var (code, output, error) = Run("train", spec, "--env", "pointmass", "--envs", "10");

        Assert.Equal(2, code);
        Assert.DoesNotContain("transitions", output);
        // At the action declaration (line 4 after the inserted tasks line), as check reports errors.
        Assert.Equal($"{spec}(4,11): error: --env pointmass does not fit the spec: pointmass has continuous(2) [-1, 1] actions, but agent 'Pole' declares discrete(2)" + Environment.NewLine, error);
    }

    /// <summary>
    /// Random agent interfaces (task counts, observation and goal widths including the extremes,
    /// action kinds, sizes and bounds) against every environment: each pairing either builds an
    /// environment that matches the agent exactly or is refused with a message and a position in
    /// the spec — never an exception from an environment's constructor.
    /// </summary>
    /// <summary>Interfaces that fit an environment: tasks, observation, goal, discrete?, action size, bounds.</summary>
    private static readonly (int, int, int, bool, int, int, int)[] Fitting =
    {
        (1, 8, 8, true, 8, -1, 1), (1, 64, 64, true, 64, -1, 1), (1, 65, 65, true, 65, -1, 1), // bitflip (65 is one too many)
        (1, 4, 0, true, 2, -1, 1), (2, 4, 0, true, 2, -1, 1), // cartpole
        (4, 169, 0, true, 4, -1, 1), // gridworld
        (10, 6, 0, false, 2, -1, 1), (1, 6, 0, false, 2, -1, 1), // pointmass
        (10, 4, 2, false, 2, -1, 1), (1, 4, 2, false, 2, -1, 1), // pointmass-goal
    };

    [Fact]
    public void EveryAgentInterfaceEitherFitsExactlyOrIsRefusedWithAMessage()
    {
        var random = new Random(16);
        int[] widths = { 1, 2, 4, 6, 8, 63, 64, 65, 169, 1_000 };
        int[] taskCounts = { 1, 2, 3, 4, 10, 11 };
        var built = 0;
        for (var i = 0; i < 300; i++)
        {
            // Start from an interface that fits some environment, then usually change one part.
            var (tasks, observation, goal, discrete, size, low, high) = Fitting[random.Next(Fitting.Length)];
            switch (random.Next(8))
            {
                case 0: tasks = taskCounts[random.Next(taskCounts.Length)]; break;
                case 1: observation = widths[random.Next(widths.Length)]; break;
                case 2: goal = random.Next(3) == 0 ? 0 : widths[random.Next(widths.Length)]; break;
                case 3: discrete = !discrete; break;
                case 4: size = widths[random.Next(7)]; break;
                case 5: (low, high) = (-random.Next(1, 3), random.Next(1, 3)); break;
                case 6: (observation, goal, size) = (widths[random.Next(widths.Length)], widths[random.Next(widths.Length)], widths[random.Next(widths.Length)]); break;
            }
            var action = discrete ? $"discrete({size})" : $"continuous({size}, low: {low}, high: {high})";
            var inputs = $"  input obs: {observation}" + (goal > 0 ? $"\n  goal target: {goal}" : "");
            var state = goal > 0 ? "concat(obs, target)" : "obs";
            var networks = discrete
                ? $"  network q {{\n    out q = q_values(mlp({state}, widths: [4]))\n  }}\n"
                : $"  network actor {{\n    out pi = gaussian(mlp({state}, widths: [4]))\n  }}\n  network critic {{\n    out q = q_values(mlp(concat(obs{(goal > 0 ? ", target" : "")}, action), widths: [4]))\n  }}\n";
            var text = $"agent A {{\n  tasks: {tasks}\n{inputs}\n  action: {action}\n{networks}  train {(discrete ? "dqn" : "sac")} {{ }}\n}}\n";
            var result = SpecCompiler.Compile("random.mtrl", text);
            Assert.False(result.HasErrors, text + string.Join("\n", result.Diagnostics));
            var agent = Assert.Single(result.Model.Agents);
            foreach (var name in TrainingEnvironments.Names)
            {
                var count = random.Next(1, 24);
                if (count < tasks && random.Next(2) == 0) count = tasks;
                var environment = TrainingEnvironments.Create(name, agent, count, CartPoleSettings.None, CpuAccelerator.Sequential, out var problem, out var at);
                if (environment is null)
                {
                    Assert.False(string.IsNullOrWhiteSpace(problem), $"{name} refused without a message:\n{text}");
                    Assert.DoesNotContain('\n', problem);
                    // Only --envs is a command-line problem; every other refusal points into the spec.
                    if (!problem.StartsWith("--envs", StringComparison.Ordinal))
                    {
                        Assert.True(at is { Line: >= 1, Column: >= 1 }, $"{name}: no spec position for '{problem}'");
                        Assert.Equal("random.mtrl", at!.Value.File);
                    }
                    continue;
                }
                built++;
                var goalWidth = environment is IGoalVectorEnvironment g ? g.GoalSize : 0;
                Assert.Equal((observation, goal, tasks), (environment.ObservationSize, goalWidth, environment.TaskCount));
                var space = environment.ActionSpace;
                Assert.Equal(discrete, space.Kind == ActionKind.Discrete);
                Assert.Equal(size, discrete ? space.Count : space.Dimensions);
                Assert.True(count >= environment.TaskCount);
            }
        }
        Assert.True(built > 10, $"only {built} pairings fit; the generator of interfaces is too narrow to mean much");
    }
}
