using System.CodeDom.Compiler;
using System.Linq;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// Emits an agent's trainer factory: its training settings as the runtime's options record and a
/// <c>CreateTrainer</c> that binds the generated networks to a trainer, so a generated agent
/// trains with one call. Agents whose algorithm or features have no trainer yet get none, and the
/// generator says why (MTRL0410).
/// </summary>
internal static class TrainerFactoryEmitter
{
    /// <summary>The runtime's largest replay capacity (ReplayBufferOptions.MaxCapacity).</summary>
    private const long MaxReplayCapacity = 1L << 29;

    /// <summary>Why no factory can be generated for <paramref name="agent"/>, or null if one can.</summary>
    public static string? Unsupported(AgentModel agent)
    {
        var training = agent.Training;
        var replay = agent.Replay;
        if (training.Algorithm != Algorithm.Dqn)
        {
            return $"the runtime has no {training.Algorithm.ToString().ToLowerInvariant()} trainer yet (it has dqn)";
        }
        var qNetworks = agent.Networks.Count(n => NetworkEmitter.IsQNetwork(agent, n));
        if (qNetworks != 1) return $"dqn needs exactly one q_values network, found {qNetworks}";
        if (training.LossWeights.Kind == LossWeightingKind.AlphaSoftmax) return "'loss_weights: alpha_softmax' needs the sac trainer's per-task temperatures";
        if (training.Schedule.Kind == ScheduleKind.Sequential) return "the dqn trainer trains tasks jointly; the sequential schedule (progressive columns, PathNet evolution) is not supported yet";
        if (replay.PerTask) return "the dqn trainer keeps one replay buffer for all tasks; use 'sampling: balanced' instead of 'per_task: true'";
        if (replay.Priority is not null && (replay.Sampling == Dsl.Model.ReplaySampling.Balanced || replay.Her is not null))
        {
            return "prioritized replay cannot be combined with balanced sampling or HER";
        }
        if (replay.Capacity > MaxReplayCapacity) return $"replay capacity {replay.Capacity} exceeds the runtime's {MaxReplayCapacity}";
        return null;
    }

    /// <summary>Writes <c>CreateDqnOptions</c> and <c>CreateTrainer</c>; call only when <see cref="Unsupported"/> is null.</summary>
    public static void Emit(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var dqn = training.Dqn!;
        var replay = agent.Replay;
        var network = agent.Networks.Single(n => NetworkEmitter.IsQNetwork(agent, n));
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The DQN settings of the spec (line {training.Span.Line}), every default filled in; change any with <c>with {{ … }}</c>.</summary>");
        w.WriteLine("public static DqnOptions CreateDqnOptions() => new()");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine($"Gamma = {Double(training.Gamma)},");
        w.WriteLine($"LearningRate = {Float(training.LearningRate)},");
        w.WriteLine($"BatchSize = {Int(training.BatchSize)},");
        w.WriteLine($"Steps = {Long(training.Steps)},");
        w.WriteLine($"Warmup = {Long(training.Warmup)},");
        w.WriteLine($"TrainEvery = {Int(training.TrainEvery)},");
        w.WriteLine($"GradientSteps = {Int(training.GradientSteps)},");
        w.WriteLine($"GradientClip = {Float(training.GradientClip)},");
        w.WriteLine($"Tau = {Float(training.Tau)},");
        w.WriteLine($"TargetUpdateEvery = {Int(dqn.TargetUpdateEvery)},");
        w.WriteLine($"Double = {(dqn.Double ? "true" : "false")},");
        w.WriteLine($"Loss = TdLossKind.{(dqn.Loss == TdLoss.Huber ? "Huber" : "SquaredError")},");
        w.WriteLine($"EpsilonStart = {Double(dqn.EpsilonStart)},");
        w.WriteLine($"EpsilonEnd = {Double(dqn.EpsilonEnd)},");
        w.WriteLine($"EpsilonDecaySteps = {Long(dqn.EpsilonDecaySteps)},");
        w.WriteLine($"ReplayCapacity = {Int(replay.Capacity)},");
        if (replay.Priority is { } priority)
        {
            w.WriteLine("Sampling = ReplaySampling.Prioritized,");
            w.WriteLine($"Priority = new PriorityOptions({Float(priority.Alpha)}, {Float(priority.Beta)}, {Float(priority.BetaFinal)}, {Float(priority.Epsilon)}),");
        }
        else
        {
            w.WriteLine($"Sampling = ReplaySampling.{(replay.Sampling == Dsl.Model.ReplaySampling.Balanced ? "TaskBalanced" : "Uniform")},");
        }
        if (replay.Her is { } her) w.WriteLine($"Her = new HerOptions(HerGoalStrategy.{her.Strategy}, {Int(her.K)}),");
        if (training.LossWeights.Kind == LossWeightingKind.Fixed)
        {
            w.WriteLine($"TaskWeights = new[] {{ {string.Join(", ", training.LossWeights.Weights.Select(Double))} }},");
        }
        if (training.Gradients.Method != GradientMethod.None)
        {
            w.WriteLine($"Gradients = TaskGradientMethod.{training.Gradients.Method},");
            w.WriteLine($"GradientReduction = GradientReduction.{training.Gradients.Reduction},");
            if (training.Gradients.Method == GradientMethod.CaGrad) w.WriteLine($"CaGradC = {Double(training.Gradients.CaGradC)},");
            if (training.Gradients.Method == GradientMethod.GradNorm)
            {
                w.WriteLine($"GradNormAlpha = {Double(training.Gradients.GradNormAlpha)},");
                w.WriteLine($"GradNormLearningRate = {Double(training.Gradients.GradNormLearningRate)},");
            }
        }
        w.WriteLine($"Seed = {Int(training.Seed)}UL,");
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>A DQN trainer for this agent in <paramref name=\"environment\"/>: parameters initialised from the seed, <see cref=\"{NetworkEmitter.ClassName(network)}\"/> bound as online and target network, ready to <c>Train()</c>.</summary>");
        w.WriteLine("/// <param name=\"environment\">Environments whose observation, goal and action widths match the spec.</param>");
        w.WriteLine("/// <param name=\"options\">Settings; null takes <see cref=\"CreateDqnOptions\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        w.WriteLine("public static DqnTrainer CreateTrainer(IDiscreteVectorEnvironment environment, DqnOptions? options = null, Accelerator? accelerator = null) =>");
        w.Indent++;
        w.WriteLine($"new(environment, CreateLayout(), static (store, batch) => new {NetworkEmitter.ClassName(network)}(store, batch), options ?? CreateDqnOptions(), accelerator);");
        w.Indent--;
    }

}
