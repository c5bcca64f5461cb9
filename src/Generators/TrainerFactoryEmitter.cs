using System.CodeDom.Compiler;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// Emits an agent's trainer factory: its training settings as the runtime's options record and a
/// <c>CreateTrainer</c> that binds the generated networks to a trainer, so a generated agent
/// trains with one call. Agents whose algorithm or features have no trainer yet get none, and the
/// generator says why (MTRL0410, with the reason <see cref="TrainerSupport.Check"/> gives).
/// </summary>
internal static class TrainerFactoryEmitter
{
    /// <summary>Writes the options factory and <c>CreateTrainer</c> of the agent's algorithm; call only when <see cref="TrainerSupport.Check"/> is null.</summary>
    public static void Emit(IndentedTextWriter w, AgentModel agent)
    {
        switch (agent.Training.Algorithm)
        {
            case Algorithm.Dqn:
                EmitDqn(w, agent);
                break;
            case Algorithm.Distill:
                EmitDistill(w, agent);
                break;
            case Algorithm.Distral:
                EmitDistral(w, agent);
                break;
            default:
                EmitActorCritic(w, agent);
                break;
        }
    }

    private static void EmitActorCritic(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var sac = training.Algorithm == Algorithm.Sac;
        var name = sac ? "Sac" : "Td3";
        var actor = agent.Networks.Single(n => TrainerSupport.IsPolicyNetwork(agent, n));
        var critic = agent.Networks.Single(n => TrainerSupport.IsCriticNetwork(agent, n));
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The {name.ToUpperInvariant()} settings of the spec (line {training.Span.Line}), every default filled in; change any with <c>with {{ … }}</c>.</summary>");
        w.WriteLine($"public static {name}Options {GeneratedNames.CreateOptions(training.Algorithm)}() => new()");
        w.WriteLine("{");
        w.Indent++;
        WriteSharedOptions(w, agent);
        if (sac)
        {
            var settings = training.Sac!;
            var gaussian = (GaussianOp)actor.Output.Op;
            w.WriteLine($"Alpha = TemperatureMode.{settings.AlphaMode},");
            w.WriteLine($"AlphaInit = {Double(settings.AlphaInit)},");
            w.WriteLine($"AlphaLearningRate = {Float(settings.AlphaLearningRate)},");
            if (settings.TargetEntropy is { } entropy) w.WriteLine($"TargetEntropy = {Double(entropy)},");
            w.WriteLine($"ActorLearningRate = {Float(settings.ActorLearningRate)},");
            w.WriteLine($"CriticLearningRate = {Float(settings.CriticLearningRate)},");
            w.WriteLine($"ActorUpdateEvery = {Int(settings.ActorUpdateEvery)},");
            w.WriteLine($"TargetUpdateEvery = {Int(settings.TargetUpdateEvery)},");
            if (training.LossWeights.Kind == LossWeightingKind.AlphaSoftmax) w.WriteLine("LossWeighting = TaskLossWeighting.AlphaSoftmax,");
            w.WriteLine($"LogStdMin = {Float(gaussian.LogStdMin)},");
            w.WriteLine($"LogStdMax = {Float(gaussian.LogStdMax)},");
        }
        else
        {
            var settings = training.Td3!;
            w.WriteLine($"PolicyNoise = {Double(settings.PolicyNoise)},");
            w.WriteLine($"NoiseClip = {Double(settings.NoiseClip)},");
            w.WriteLine($"PolicyDelay = {Int(settings.PolicyDelay)},");
            w.WriteLine($"ExplorationNoise = {Double(settings.ExplorationNoise)},");
            w.WriteLine($"ActorLearningRate = {Float(settings.ActorLearningRate)},");
            w.WriteLine($"CriticLearningRate = {Float(settings.CriticLearningRate)},");
        }
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>A {name.ToUpperInvariant()} trainer for this agent in <paramref name=\"environment\"/>: <see cref=\"{NetworkEmitter.ClassName(actor)}\"/> as the actor, <see cref=\"{NetworkEmitter.ClassName(critic)}\"/> as both critics and their targets, ready to <c>Train()</c>.</summary>");
        w.WriteLine("/// <param name=\"environment\">Continuous-action environments whose observation, goal and action widths match the spec.</param>");
        w.WriteLine($"/// <param name=\"options\">Settings; null takes <see cref=\"Create{name}Options\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        w.WriteLine($"public static {name}Trainer {GeneratedNames.CreateTrainer}(IContinuousVectorEnvironment environment, {name}Options? options = null, Accelerator? accelerator = null) =>");
        w.Indent++;
        w.WriteLine($"new(environment, {GeneratedNames.CreateLayout}(), static (store, batch) => new {NetworkEmitter.ClassName(actor)}(store, batch), static (store, batch) => new {NetworkEmitter.ClassName(critic)}(store, batch), options ?? {GeneratedNames.CreateOptions(training.Algorithm)}(), accelerator);");
        w.Indent--;
        if (training.Schedule.Kind == ScheduleKind.Sequential) EmitSequential(w, agent, name, "IContinuousVectorEnvironment");
    }

    /// <summary>
    /// For a sequential schedule: its settings (budget per task, PathNet's tournament) and a
    /// <c>CreateSequentialTrainer</c> that builds one trainer per task on environments that all run it.
    /// </summary>
    private static void EmitSequential(IndentedTextWriter w, AgentModel agent, string algorithm, string environmentType)
    {
        var training = agent.Training;
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The sequential schedule of the spec (line {training.Span.Line}): tasks one after another, {Long(training.Schedule.StepsPerTask)} transitions each{(agent.Evolution is null ? "" : ", PathNet pathways evolved by tournament")}.</summary>");
        w.WriteLine($"public static SequentialOptions {GeneratedNames.CreateSequentialOptions}() => new()");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine($"StepsPerTask = {Long(training.Schedule.StepsPerTask)},");
        if (agent.Evolution is { } evolution)
        {
            w.WriteLine("Evolution = new PathNetEvolutionOptions");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine($"Population = {Int(evolution.Population)},");
            w.WriteLine($"Tournament = {Int(evolution.Tournament)},");
            w.WriteLine($"MutationProbability = {Double(evolution.MutationProbability)},");
            w.WriteLine($"MutationShift = {Int(evolution.MutationShift)},");
            w.WriteLine($"StepsPerEvaluation = {Long(evolution.StepsPerEvaluation)},");
            w.WriteLine($"Fitness = PathwayFitness.{evolution.Fitness},");
            w.WriteLine($"LoserUpdates = LoserUpdates.{evolution.LoserUpdates},");
            w.Indent--;
            w.WriteLine("},");
        }
        w.WriteLine($"Seed = {Int(training.Seed)}UL,");
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Trains the tasks one after another: stage k runs a fresh trainer (its own seed, one task, so no per-task replay) on <paramref name=\"environmentForTask\"/>(k),");
        w.WriteLine("/// starting from what stage k − 1 learned, after the architecture's transfer step.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"environmentForTask\">Environments that all run task k, for training and evaluation.</param>");
        w.WriteLine($"/// <param name=\"options\">Each stage's trainer settings; null takes <see cref=\"Create{algorithm}Options\"/>.</param>");
        w.WriteLine("/// <param name=\"sequential\">The schedule's settings; null takes <see cref=\"CreateSequentialOptions\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        w.WriteLine($"public static SequentialTrainer CreateSequentialTrainer(Func<int, {environmentType}> environmentForTask, {algorithm}Options? options = null, SequentialOptions? sequential = null, Accelerator? accelerator = null)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("ArgumentNullException.ThrowIfNull(environmentForTask);");
        w.WriteLine($"var settings = options ?? Create{algorithm}Options();");
        w.WriteLine("return new SequentialTrainer(");
        w.Indent++;
        w.WriteLine("task => environmentForTask(task),");
        w.WriteLine($"(stage, environment) => {GeneratedNames.CreateTrainer}(({environmentType})environment, settings with {{ Seed = SequentialTrainer.StageSeed(settings.Seed, stage), PerTaskReplay = false }}, accelerator),");
        w.WriteLine($"sequential ?? {GeneratedNames.CreateSequentialOptions}());");
        w.Indent--;
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>The settings every off-policy algorithm shares.</summary>
    private static void WriteSharedOptions(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var replay = agent.Replay;
        w.WriteLine($"Gamma = {Double(training.Gamma)},");
        w.WriteLine($"LearningRate = {Float(training.LearningRate)},");
        w.WriteLine($"BatchSize = {Int(training.BatchSize)},");
        w.WriteLine($"Steps = {Long(training.Steps)},");
        w.WriteLine($"Warmup = {Long(training.Warmup)},");
        w.WriteLine($"TrainEvery = {Int(training.TrainEvery)},");
        w.WriteLine($"GradientSteps = {Int(training.GradientSteps)},");
        w.WriteLine($"GradientClip = {Float(training.GradientClip)},");
        w.WriteLine($"Tau = {Float(training.Tau)},");
        w.WriteLine($"ReplayCapacity = {Int(replay.Capacity)},");
        if (replay.PerTask) w.WriteLine("PerTaskReplay = true,");
        if (replay.Priority is { } priority)
        {
            w.WriteLine(replay.Sampling == Dsl.Model.ReplaySampling.Balanced ? "Sampling = ReplaySampling.PrioritizedTaskBalanced," : "Sampling = ReplaySampling.Prioritized,");
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
        if (training.Gradients.Method != TaskGradientMethod.None)
        {
            w.WriteLine($"Gradients = TaskGradientMethod.{training.Gradients.Method},");
            w.WriteLine($"GradientReduction = GradientReduction.{training.Gradients.Reduction},");
            if (training.Gradients.Method == TaskGradientMethod.CaGrad) w.WriteLine($"CaGradC = {Double(training.Gradients.CaGradC)},");
            if (training.Gradients.Method == TaskGradientMethod.GradNorm)
            {
                w.WriteLine($"GradNormAlpha = {Double(training.Gradients.GradNormAlpha)},");
                w.WriteLine($"GradNormLearningRate = {Double(training.Gradients.GradNormLearningRate)},");
            }
        }
        if (training.Freeze.Count > 0) w.WriteLine($"Freeze = new[] {{ {string.Join(", ", training.Freeze.Select(Str))} }},");
        w.WriteLine($"Seed = {Int(training.Seed)}UL,");
    }

    private static void EmitDistill(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var distill = training.Distill!;
        var student = agent.Networks.Single(n => TrainerSupport.IsQNetwork(agent, n));
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The distillation settings of the spec (line {training.Span.Line}), every default filled in; change any with <c>with {{ … }}</c>.</summary>");
        w.WriteLine($"public static DistillationOptions {GeneratedNames.CreateOptions(Algorithm.Distill)}() => new()");
        w.WriteLine("{");
        w.Indent++;
        WriteSharedOptions(w, agent);
        w.WriteLine($"Method = DistillationMethod.{distill.Method},");
        w.WriteLine($"Temperature = {Float(distill.Temperature)},");
        w.WriteLine($"Collector = DistillationCollector.{distill.Collector},");
        w.WriteLine($"EpsilonStart = {Double(distill.EpsilonStart)},");
        w.WriteLine($"EpsilonEnd = {Double(distill.EpsilonEnd)},");
        w.WriteLine($"EpsilonDecaySteps = {Long(distill.EpsilonDecaySteps)},");
        if (distill.Method == DistillationMethod.ActorMimic) w.WriteLine($"FeatureWeight = {Float(distill.FeatureWeight)},");
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        var features = NetworkEmitter.HasFeatureNetwork(agent, student);
        w.WriteLine($"/// <summary>A distillation trainer for this agent in <paramref name=\"environment\"/>: <see cref=\"{NetworkEmitter.ClassName(student)}\"/> as the student, learning from <paramref name=\"teachers\"/>{(features ? $"; given <paramref name=\"teacherFeatures\"/>, <see cref=\"{NetworkEmitter.FeatureClassName(student)}\"/> also regresses their features (Actor-Mimic, weighted by FeatureWeight)" : "")}.</summary>");
        w.WriteLine("/// <param name=\"environment\">Environments whose observation, goal and action widths match the spec.</param>");
        w.WriteLine("/// <param name=\"teachers\">One trained network per task (teacher t answers for task t), or one for every task; never updated.</param>");
        w.WriteLine("/// <param name=\"options\">Settings; null takes <see cref=\"CreateDistillationOptions\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        if (!features)
        {
            w.WriteLine($"public static DistillationTrainer {GeneratedNames.CreateTrainer}(IDiscreteVectorEnvironment environment, IReadOnlyList<IQNetwork> teachers, DistillationOptions? options = null, Accelerator? accelerator = null) =>");
            w.Indent++;
            w.WriteLine($"new(environment, {GeneratedNames.CreateLayout}(), static (store, batch) => new {NetworkEmitter.ClassName(student)}(store, batch), teachers, options ?? {GeneratedNames.CreateOptions(Algorithm.Distill)}(), accelerator);");
            w.Indent--;
            return;
        }
        w.WriteLine($"/// <param name=\"teacherFeatures\">The teachers' features h_E, in the order of <paramref name=\"teachers\"/> and {Int(student.Features!.Width)} wide; null trains without feature regression.</param>");
        w.WriteLine($"public static DistillationTrainer {GeneratedNames.CreateTrainer}(IDiscreteVectorEnvironment environment, IReadOnlyList<IQNetwork> teachers, DistillationOptions? options = null, Accelerator? accelerator = null, IReadOnlyList<IFeatureNetwork>? teacherFeatures = null) =>");
        w.Indent++;
        w.WriteLine($"new(environment, {GeneratedNames.CreateLayout}(), static (store, batch) => new {NetworkEmitter.ClassName(student)}(store, batch), teachers, options ?? {GeneratedNames.CreateOptions(Algorithm.Distill)}(), accelerator,");
        w.Indent++;
        w.WriteLine($"teacherFeatures is null ? null : new ActorMimicFeatures(static (store, batch) => new {NetworkEmitter.FeatureClassName(student)}(store, batch), teacherFeatures));");
        w.Indent -= 2;
    }

    private static void EmitDistral(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var distral = training.Distral!;
        var columns = agent.Networks.Single(n => TrainerSupport.IsQNetwork(agent, n));
        var distilled = agent.Networks.Single(n => TrainerSupport.IsLogitsNetwork(agent, n));
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The Distral settings of the spec (line {training.Span.Line}), every default filled in; change any with <c>with {{ … }}</c>.</summary>");
        w.WriteLine($"public static DistralOptions {GeneratedNames.CreateOptions(Algorithm.Distral)}() => new()");
        w.WriteLine("{");
        w.Indent++;
        WriteSharedOptions(w, agent);
        w.WriteLine($"KlCoefficient = {Float(distral.KlCoefficient)},");
        w.WriteLine($"EntropyCoefficient = {Float(distral.EntropyCoefficient)},");
        w.WriteLine($"TargetUpdateEvery = {Int(distral.TargetUpdateEvery)},");
        w.WriteLine($"Loss = TdLossKind.{distral.Loss},");
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>A Distral trainer for this agent in <paramref name=\"environment\"/>: <see cref=\"{NetworkEmitter.ClassName(columns)}\"/> as the task columns f_i, <see cref=\"{NetworkEmitter.ClassName(distilled)}\"/> as the distilled policy's logits h.</summary>");
        w.WriteLine("/// <param name=\"environment\">Environments whose observation, goal and action widths match the spec.</param>");
        w.WriteLine("/// <param name=\"options\">Settings; null takes <see cref=\"CreateDistralOptions\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        w.WriteLine($"public static DistralTrainer {GeneratedNames.CreateTrainer}(IDiscreteVectorEnvironment environment, DistralOptions? options = null, Accelerator? accelerator = null) =>");
        w.Indent++;
        w.WriteLine($"new(environment, {GeneratedNames.CreateLayout}(), static (store, batch) => new {NetworkEmitter.ClassName(columns)}(store, batch), static (store, batch) => new {NetworkEmitter.ClassName(distilled)}(store, batch), options ?? {GeneratedNames.CreateOptions(Algorithm.Distral)}(), accelerator);");
        w.Indent--;
    }

    private static void EmitDqn(IndentedTextWriter w, AgentModel agent)
    {
        var training = agent.Training;
        var dqn = training.Dqn!;
        var network = agent.Networks.Single(n => TrainerSupport.IsQNetwork(agent, n));
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>The DQN settings of the spec (line {training.Span.Line}), every default filled in; change any with <c>with {{ … }}</c>.</summary>");
        w.WriteLine($"public static DqnOptions {GeneratedNames.CreateOptions(Algorithm.Dqn)}() => new()");
        w.WriteLine("{");
        w.Indent++;
        WriteSharedOptions(w, agent);
        w.WriteLine($"TargetUpdateEvery = {Int(dqn.TargetUpdateEvery)},");
        w.WriteLine($"Double = {(dqn.Double ? "true" : "false")},");
        w.WriteLine($"Loss = TdLossKind.{dqn.Loss},");
        w.WriteLine($"EpsilonStart = {Double(dqn.EpsilonStart)},");
        w.WriteLine($"EpsilonEnd = {Double(dqn.EpsilonEnd)},");
        w.WriteLine($"EpsilonDecaySteps = {Long(dqn.EpsilonDecaySteps)},");
        w.Indent--;
        w.WriteLine("};");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>A DQN trainer for this agent in <paramref name=\"environment\"/>: parameters initialised from the seed, <see cref=\"{NetworkEmitter.ClassName(network)}\"/> bound as online and target network, ready to <c>Train()</c>.</summary>");
        w.WriteLine("/// <param name=\"environment\">Environments whose observation, goal and action widths match the spec.</param>");
        w.WriteLine("/// <param name=\"options\">Settings; null takes <see cref=\"CreateDqnOptions\"/>.</param>");
        w.WriteLine("/// <param name=\"accelerator\">Where kernels run; null uses the default CPU accelerator.</param>");
        w.WriteLine($"public static DqnTrainer {GeneratedNames.CreateTrainer}(IDiscreteVectorEnvironment environment, DqnOptions? options = null, Accelerator? accelerator = null) =>");
        w.Indent++;
        w.WriteLine($"new(environment, {GeneratedNames.CreateLayout}(), static (store, batch) => new {NetworkEmitter.ClassName(network)}(store, batch), options ?? {GeneratedNames.CreateOptions(Algorithm.Dqn)}(), accelerator);");
        w.Indent--;
        if (training.Schedule.Kind == ScheduleKind.Sequential) EmitSequential(w, agent, "Dqn", "IDiscreteVectorEnvironment");
    }

}
