using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>Reads the <c>train</c>, <c>replay</c> and <c>evolution</c> sections with every default applied.</summary>
internal static class TrainingBinder
{
    private static readonly IReadOnlyDictionary<string, Algorithm> Algorithms = new Dictionary<string, Algorithm>
    {
        ["dqn"] = Algorithm.Dqn,
        ["sac"] = Algorithm.Sac,
        ["td3"] = Algorithm.Td3,
        ["distill"] = Algorithm.Distill,
        ["distral"] = Algorithm.Distral,
    };

    private static readonly IReadOnlyDictionary<string, DistillationCollector> Collectors = new Dictionary<string, DistillationCollector>
    {
        ["student"] = DistillationCollector.Student,
        ["teacher"] = DistillationCollector.Teacher,
    };

    private static readonly IReadOnlyDictionary<string, TdLossKind> Losses = new Dictionary<string, TdLossKind>
    {
        ["huber"] = TdLossKind.Huber,
        ["mse"] = TdLossKind.SquaredError,
    };

    private static readonly IReadOnlyDictionary<string, GradientReduction> Reductions = new Dictionary<string, GradientReduction>
    {
        ["mean"] = GradientReduction.Mean,
        ["sum"] = GradientReduction.Sum,
    };

    private static readonly IReadOnlyDictionary<string, ReplaySampling> Samplings = new Dictionary<string, ReplaySampling>
    {
        ["uniform"] = ReplaySampling.Uniform,
        ["balanced"] = ReplaySampling.Balanced,
    };

    private static readonly IReadOnlyDictionary<string, PathwayFitness> Fitnesses = new Dictionary<string, PathwayFitness>
    {
        ["return"] = PathwayFitness.Return,
        ["success"] = PathwayFitness.Success,
    };

    private static readonly IReadOnlyDictionary<string, LoserUpdates> LoserUpdateChoices = new Dictionary<string, LoserUpdates>
    {
        ["keep"] = LoserUpdates.Keep,
        ["discard"] = LoserUpdates.Discard,
    };

    // Settings only some algorithms read; written for another algorithm they get a warning.
    private static readonly IReadOnlyDictionary<string, Algorithm[]> AlgorithmSpecific = new Dictionary<string, Algorithm[]>
    {
        ["double"] = new[] { Algorithm.Dqn },
        ["loss"] = new[] { Algorithm.Dqn, Algorithm.Distral },
        ["epsilon_start"] = new[] { Algorithm.Dqn, Algorithm.Distill },
        ["epsilon_end"] = new[] { Algorithm.Dqn, Algorithm.Distill },
        ["epsilon_decay_steps"] = new[] { Algorithm.Dqn, Algorithm.Distill },
        ["target_update_every"] = new[] { Algorithm.Dqn, Algorithm.Sac, Algorithm.Distral },
        ["method"] = new[] { Algorithm.Distill },
        ["collector"] = new[] { Algorithm.Distill },
        ["kl"] = new[] { Algorithm.Distral },
        ["entropy"] = new[] { Algorithm.Distral },
        ["alpha"] = new[] { Algorithm.Sac },
        ["alpha_init"] = new[] { Algorithm.Sac },
        ["alpha_lr"] = new[] { Algorithm.Sac },
        ["target_entropy"] = new[] { Algorithm.Sac },
        ["actor_update_every"] = new[] { Algorithm.Sac },
        ["actor_lr"] = new[] { Algorithm.Sac, Algorithm.Td3 },
        ["critic_lr"] = new[] { Algorithm.Sac, Algorithm.Td3 },
        ["policy_noise"] = new[] { Algorithm.Td3 },
        ["noise_clip"] = new[] { Algorithm.Td3 },
        ["policy_delay"] = new[] { Algorithm.Td3 },
        ["exploration_noise"] = new[] { Algorithm.Td3 },
    };

    /// <summary>Names an algorithm section may carry, for suggestions.</summary>
    public static IEnumerable<string> AlgorithmNames => Algorithms.Keys;

    /// <summary>
    /// Reads <c>train</c>. <paramref name="networks"/> are the agent's bound networks, against which
    /// <c>freeze</c> names are resolved; null when they failed to bind (names are then not checked).
    /// </summary>
    public static TrainingModel Train(Item? section, AgentModelDraft agent, IReadOnlyList<NetworkModel>? networks, DiagnosticBag diagnostics)
    {
        var span = section?.Span ?? agent.Span;
        var algorithm = Algorithm.Dqn;
        if (section?.Name is { } name)
        {
            if (!Algorithms.TryGetValue(name.Text, out algorithm))
            {
                diagnostics.Report(DiagnosticCatalog.UnknownKeyword, name.Span,
                    $"unknown algorithm '{name.Text}'; expected {Settings.Alternatives(Algorithms.Keys)}{Suggestions.DidYouMean(name.Text, Algorithms.Keys)}");
                algorithm = agent.Action.Kind == ActionKind.Discrete ? Algorithm.Dqn : Algorithm.Sac;
            }
        }
        else
        {
            algorithm = agent.Action.Kind == ActionKind.Discrete ? Algorithm.Dqn : Algorithm.Sac;
        }

        var body = section?.Body ?? EquatableArray<Item>.Empty;
        ReportNonSettings(body, "train", diagnostics);
        var s = Settings.FromItems($"train {algorithm.ToString().ToLowerInvariant()}", span, body, diagnostics);

        var gamma = s.Real("gamma", TrainingDefaults.Gamma, new NumberRange(0, 1, MinExclusive: true));
        // Value-based and distillation algorithms share DQN's defaults.
        var valueBased = algorithm is Algorithm.Dqn or Algorithm.Distill or Algorithm.Distral;
        var lr = s.Real("lr", algorithm switch { Algorithm.Sac => TrainingDefaults.SacLearningRate, Algorithm.Td3 => TrainingDefaults.Td3LearningRate, _ => TrainingDefaults.ValueBasedLearningRate }, NumberRange.Positive);
        var batch = s.Int("batch", TrainingDefaults.BatchSize, NumberRange.Integers(1, SpecLimits.MaxBatch));
        CheckBatchActivations(s, batch, agent, diagnostics);
        var steps = s.Long("steps", TrainingDefaults.Steps, NumberRange.Steps);
        var warmup = s.Long("warmup", TrainingDefaults.Warmup, NumberRange.Integers(0, SpecLimits.MaxSteps));
        var trainEvery = s.Int("train_every", valueBased ? TrainingDefaults.ValueBasedTrainEvery : TrainingDefaults.ActorCriticTrainEvery, NumberRange.Interval);
        var gradientSteps = s.Int("gradient_steps", TrainingDefaults.GradientSteps, NumberRange.Interval);
        var clip = s.Real("grad_clip", valueBased ? TrainingDefaults.ValueBasedGradientClip : 0, NumberRange.NonNegative);
        var tau = s.Real("tau", valueBased ? TrainingDefaults.ValueBasedTau : TrainingDefaults.ActorCriticTau, new NumberRange(0, 1, MinExclusive: true));
        var seed = s.Long("seed", 0, NumberRange.Integers(0, 9_007_199_254_740_991));

        DqnSettings? dqn = null;
        SacSettings? sac = null;
        Td3Settings? td3 = null;
        DistillSettings? distill = null;
        DistralSettings? distral = null;
        switch (algorithm)
        {
            case Algorithm.Distill:
                distill = ReadDistill(s, steps, diagnostics);
                CheckFeatureRegression(s, distill, networks, diagnostics);
                break;
            case Algorithm.Distral:
                distral = new DistralSettings(
                    s.Real("kl", TrainingDefaults.DistralKlCoefficient, NumberRange.NonNegative),
                    s.Real("entropy", TrainingDefaults.DistralEntropyCoefficient, NumberRange.NonNegative),
                    s.Int("target_update_every", TrainingDefaults.TargetUpdateEvery, NumberRange.Interval),
                    s.Choice("loss", TdLossKind.Huber, Losses));
                if (distral.KlCoefficient + distral.EntropyCoefficient <= 0)
                {
                    diagnostics.Report(DiagnosticCatalog.OutOfRange, s.Has("kl") ? s.SpanOf("kl") : span,
                        "distral needs kl + entropy > 0 (β = 1/(kl + entropy)); found both 0");
                }
                break;
            case Algorithm.Dqn:
                dqn = new DqnSettings(
                    s.Bool("double", true),
                    s.Choice("loss", TdLossKind.Huber, Losses),
                    s.Int("target_update_every", TrainingDefaults.TargetUpdateEvery, NumberRange.Interval),
                    s.Real("epsilon_start", TrainingDefaults.EpsilonStart, NumberRange.Probability),
                    s.Real("epsilon_end", TrainingDefaults.EpsilonEnd, NumberRange.Probability),
                    s.Long("epsilon_decay_steps", Math.Max(1, steps / 10), NumberRange.Steps));
                break;
            case Algorithm.Sac:
                sac = ReadSac(s, agent, lr, diagnostics);
                break;
            case Algorithm.Td3:
                td3 = new Td3Settings(
                    s.Real("policy_noise", TrainingDefaults.Td3PolicyNoise, NumberRange.NonNegative),
                    s.Real("noise_clip", TrainingDefaults.Td3NoiseClip, NumberRange.NonNegative),
                    s.Int("policy_delay", TrainingDefaults.Td3PolicyDelay, NumberRange.Interval),
                    s.Real("exploration_noise", TrainingDefaults.Td3ExplorationNoise, NumberRange.NonNegative),
                    s.Real("actor_lr", lr, NumberRange.Positive),
                    s.Real("critic_lr", lr, NumberRange.Positive));
                break;
        }
        var algorithmName = algorithm.ToString().ToLowerInvariant();
        foreach (var pair in AlgorithmSpecific)
        {
            if (s.Has(pair.Key) && !pair.Value.Contains(algorithm))
            {
                s.WarnNoEffect(pair.Key, $"with {algorithmName}");
            }
        }

        var gradients = ReadGradients(s, agent, diagnostics);
        var weights = ReadLossWeights(s, agent, algorithm, sac, diagnostics);
        var schedule = ReadSchedule(s, agent, steps, diagnostics);
        var freeze = FreezeNames.Bind(s, algorithm, networks, diagnostics);
        s.ReportUnknown();

        return new TrainingModel(algorithm, gamma, lr, batch, steps, warmup, trainEvery, gradientSteps, clip, tau, seed,
            dqn, sac, td3, gradients, weights, schedule, span) { Freeze = freeze, Distill = distill, Distral = distral };
    }

    /// <summary><c>method: kl(tau: …) | nll | mse | actor_mimic(tau: …, features: β)</c>, <c>collector</c> and the ε schedule.</summary>
    private static DistillSettings ReadDistill(Settings s, long steps, DiagnosticBag diagnostics)
    {
        var method = DistillationMethod.Kl;
        var temperature = 0.01;
        var featureWeight = 0.0;
        var raw = s.Raw("method");
        if (raw is not null && Options.Read(s, "method", raw, new[] { "kl", "nll", "mse", "actor_mimic" }, diagnostics) is { } o)
        {
            method = o.Name switch
            {
                "nll" => DistillationMethod.Nll,
                "mse" => DistillationMethod.Mse,
                "actor_mimic" => DistillationMethod.ActorMimic,
                _ => DistillationMethod.Kl,
            };
            if (method is DistillationMethod.Kl or DistillationMethod.ActorMimic)
            {
                temperature = o.Settings.Real("tau", method == DistillationMethod.Kl ? TrainingDefaults.DistillationTemperature : 1.0, NumberRange.Positive);
            }
            if (method == DistillationMethod.ActorMimic) featureWeight = o.Settings.Real("features", 0.0, NumberRange.NonNegative);
            o.Settings.ReportUnknown();
        }
        return new DistillSettings(method, temperature,
            s.Choice("collector", DistillationCollector.Student, Collectors),
            s.Real("epsilon_start", TrainingDefaults.EpsilonStart, NumberRange.Probability),
            s.Real("epsilon_end", TrainingDefaults.EpsilonEnd, NumberRange.Probability),
            s.Long("epsilon_decay_steps", Math.Max(1, steps / 10), NumberRange.Steps)) { FeatureWeight = featureWeight };
    }

    /// <summary>
    /// Feature regression needs the student (the q_values network) to have a features output
    /// (MTRL0413); a features predictor nothing trains is reported on the network that has it.
    /// Identity features cost nothing and are what a teacher offers, so any algorithm may have them.
    /// </summary>
    private static void CheckFeatureRegression(Settings s, DistillSettings distill, IReadOnlyList<NetworkModel>? networks, DiagnosticBag diagnostics)
    {
        if (networks is null) return;
        var students = networks.Where(n => n.Output.Op is QValuesOp).ToList();
        if (distill.FeatureWeight > 0 && students.Count > 0 && students.All(n => n.Features is null))
        {
            diagnostics.Report(DiagnosticCatalog.FeaturesOutputMissing, s.SpanOf("method"),
                $"feature regression (features: {distill.FeatureWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)}) needs the student '{students[0].Name}' to declare what it regresses: add 'out features = features(h, width: …)' reading its hidden layer h");
        }
    }

    /// <summary>MTRL0406 on a features predictor whose parameters nothing trains (anything but distill with <c>actor_mimic(features: β &gt; 0)</c>).</summary>
    public static void CheckUnusedPredictors(TrainingModel training, IReadOnlyList<NetworkModel> networks, DiagnosticBag diagnostics)
    {
        if (training.Distill is { FeatureWeight: > 0 }) return;
        foreach (var network in networks)
        {
            if (network.Features is not { Op: FeaturesOp { Affine: true } } features) continue;
            diagnostics.Report(DiagnosticCatalog.NoEffect, features.Span,
                $"the features predictor '{features.Name}' of network '{network.Name}' is trained only by a distillation with 'method: actor_mimic(features: β)', β > 0; here its parameters keep their initial values (a teacher's features output is features(h), without width)");
        }
    }

    private static SacSettings ReadSac(Settings s, AgentModelDraft agent, double lr, DiagnosticBag diagnostics)
    {
        var mode = agent.Tasks > 1 ? TemperatureMode.PerTask : TemperatureMode.Learned;
        var alphaInit = 1.0;
        var raw = s.Raw("alpha");
        if (raw is NumberLiteral number)
        {
            mode = TemperatureMode.Fixed;
            alphaInit = s.Real("alpha", 0.2, NumberRange.Positive);
        }
        else if (raw is not null)
        {
            var option = Options.Read(s, "alpha", raw, new[] { "learned", "per_task" }, diagnostics);
            if (option is { } o)
            {
                mode = o.Name == "per_task" ? TemperatureMode.PerTask : TemperatureMode.Learned;
                o.Settings.ReportUnknown();
            }
        }
        if (mode != TemperatureMode.Fixed) alphaInit = s.Real("alpha_init", TrainingDefaults.SacAlphaInit, NumberRange.Positive);
        else s.WarnNoEffect("alpha_init", "with a fixed alpha");
        var alphaLr = s.Real("alpha_lr", lr, NumberRange.Positive);
        double? targetEntropy = null;
        var entropy = s.Raw("target_entropy");
        if (entropy is NameExpression { Name.Text: "auto" })
        {
            targetEntropy = null;
        }
        else if (entropy is not null)
        {
            targetEntropy = s.Real("target_entropy", -agent.Action.Size, NumberRange.Any);
        }
        return new SacSettings(mode, alphaInit, alphaLr, targetEntropy,
            s.Real("actor_lr", lr, NumberRange.Positive),
            s.Real("critic_lr", lr, NumberRange.Positive),
            s.Int("actor_update_every", TrainingDefaults.SacActorUpdateEvery, NumberRange.Interval),
            s.Int("target_update_every", TrainingDefaults.SacTargetUpdateEvery, NumberRange.Interval));
    }

    private static GradientHandling ReadGradients(Settings s, AgentModelDraft agent, DiagnosticBag diagnostics)
    {
        var result = new GradientHandling(TaskGradientMethod.None, GradientReduction.Mean, TrainingDefaults.CaGradC, TrainingDefaults.GradNormAlpha, TrainingDefaults.GradNormLearningRate);
        var raw = s.Raw("gradients");
        if (raw is null) return result;
        var option = Options.Read(s, "gradients", raw, new[] { "none", "pcgrad", "cagrad", "gradnorm" }, diagnostics);
        if (option is not { } o) return result;
        var reduction = o.Settings.Choice("reduction", GradientReduction.Mean, Reductions);
        result = o.Name switch
        {
            "pcgrad" => result with { Method = TaskGradientMethod.PcGrad, Reduction = reduction },
            "cagrad" => result with { Method = TaskGradientMethod.CaGrad, Reduction = reduction, CaGradC = o.Settings.Real("c", TrainingDefaults.CaGradC, NumberRange.NonNegative) },
            "gradnorm" => result with
            {
                Method = TaskGradientMethod.GradNorm,
                Reduction = reduction,
                GradNormAlpha = o.Settings.Real("alpha", TrainingDefaults.GradNormAlpha, NumberRange.NonNegative),
                GradNormLearningRate = o.Settings.Real("lr", TrainingDefaults.GradNormLearningRate, NumberRange.Positive),
            },
            _ => result,
        };
        if (o.Name == "none") o.Settings.WarnNoEffect("reduction", "without a gradient method");
        o.Settings.ReportUnknown();
        var copies = Saturating.Multiply(agent.Tasks, agent.Budget.SharedParameters);
        if (result.Method != TaskGradientMethod.None && agent.Tasks > 1 && !agent.Budget.Exceeded && copies > SpecLimits.MaxArrayLength)
        {
            diagnostics.Report(DiagnosticCatalog.TooLarge, raw.Span,
                $"{o.Name} keeps one gradient of the shared parameters per task: {Sizes.Count(agent.Tasks)} tasks × {Sizes.Count(agent.Budget.SharedParameters)} shared parameters = {Sizes.Count(copies)} floats, but one array holds at most {Sizes.Count(SpecLimits.MaxArrayLength)}; share fewer parameters or use fewer tasks");
        }
        if (result.Method != TaskGradientMethod.None && agent.Tasks == 1)
        {
            diagnostics.Report(DiagnosticCatalog.SingleTaskGradients, raw.Span,
                $"{o.Name} combines gradients of several tasks, but the agent has one task; it will do nothing");
        }
        return result;
    }

    private static LossWeighting ReadLossWeights(Settings s, AgentModelDraft agent, Algorithm algorithm, SacSettings? sac, DiagnosticBag diagnostics)
    {
        var uniform = new LossWeighting(LossWeightingKind.Uniform, EquatableArray<double>.Empty);
        var raw = s.Raw("loss_weights");
        if (raw is null) return uniform;
        var option = Options.Read(s, "loss_weights", raw, new[] { "uniform", "fixed", "alpha_softmax" }, diagnostics);
        if (option is not { } o) return uniform;
        LossWeighting result = uniform;
        switch (o.Name)
        {
            case "fixed":
                {
                    var weights = o.Settings.Numbers("weights", NumberRange.NonNegative);
                    if (weights is null)
                    {
                        if (!o.Settings.Has("weights")) o.Settings.ReportMissing("weights");
                        break;
                    }
                    if (weights.Length != agent.Tasks)
                    {
                        diagnostics.Report(DiagnosticCatalog.OutOfRange, o.Settings.SpanOf("weights"),
                            $"fixed loss weights need one weight per task: {agent.Tasks} expected, found {weights.Length}");
                        break;
                    }
                    result = new LossWeighting(LossWeightingKind.Fixed, weights.ToEquatableArray());
                    break;
                }
            case "alpha_softmax":
                result = new LossWeighting(LossWeightingKind.AlphaSoftmax, EquatableArray<double>.Empty);
                if (algorithm != Algorithm.Sac || sac?.AlphaMode != TemperatureMode.PerTask)
                {
                    diagnostics.Report(DiagnosticCatalog.NoEffect, raw.Span,
                        "alpha_softmax weighs tasks by their temperatures and needs sac with 'alpha: per_task'; tasks will weigh 1");
                }
                break;
        }
        o.Settings.ReportUnknown();
        return result;
    }

    private static Schedule ReadSchedule(Settings s, AgentModelDraft agent, long steps, DiagnosticBag diagnostics)
    {
        var joint = new Schedule(ScheduleKind.Joint, steps);
        var raw = s.Raw("schedule");
        if (raw is null) return joint;
        var option = Options.Read(s, "schedule", raw, new[] { "joint", "sequential" }, diagnostics);
        if (option is not { } o) return joint;
        Schedule result = joint;
        if (o.Name == "sequential")
        {
            result = new Schedule(ScheduleKind.Sequential,
                o.Settings.Long("steps_per_task", Math.Max(1, steps / agent.Tasks), NumberRange.Steps));
            if (!agent.HasColumnsOrPaths)
            {
                diagnostics.Report(DiagnosticCatalog.SequentialWithoutColumns, raw.Span,
                    "no network has progressive columns or a pathnet grid, so each task fine-tunes the network the previous one left and earlier tasks may be forgotten (the fine-tuning baseline of transfer)");
            }
        }
        o.Settings.ReportUnknown();
        return result;
    }

    public static ReplayModel Replay(Item? section, AgentModelDraft agent, DiagnosticBag diagnostics)
    {
        var span = section?.Span ?? agent.Span;
        var body = section?.Body ?? EquatableArray<Item>.Empty;
        if (section?.Name is { } label)
        {
            diagnostics.Report(DiagnosticCatalog.SyntaxError, label.Span, $"'replay' takes no name; write 'replay {{ … }}'");
        }
        ReportNonSettings(body, "replay", diagnostics);
        var s = Settings.FromItems("replay", span, body, diagnostics);
        var capacity = s.Long("capacity", TrainingDefaults.ReplayCapacity, NumberRange.Integers(1, SpecLimits.MaxReplayCapacity));
        var perTask = s.Bool("per_task", false);
        var sampling = s.Choice("sampling", ReplaySampling.Uniform, Samplings);
        if (agent.Tasks == 1)
        {
            s.WarnNoEffect("per_task", "with one task");
            if (sampling == ReplaySampling.Balanced) s.WarnNoEffect("sampling", "with one task");
        }

        PriorityModel? priority = null;
        var rawPriority = s.Raw("priority");
        if (rawPriority is not null && Options.Read(s, "priority", rawPriority, new[] { "none", "proportional" }, diagnostics) is { } p)
        {
            if (p.Name == "proportional")
            {
                priority = new PriorityModel(
                    p.Settings.Real("alpha", TrainingDefaults.PriorityAlpha, NumberRange.Probability),
                    p.Settings.Real("beta", TrainingDefaults.PriorityBeta, NumberRange.Probability),
                    p.Settings.Real("beta_final", TrainingDefaults.PriorityBetaFinal, NumberRange.Probability),
                    p.Settings.Real("epsilon", TrainingDefaults.PriorityEpsilon, NumberRange.Positive));
            }
            p.Settings.ReportUnknown();
        }

        HerModel? her = null;
        var rawHer = s.Raw("her");
        if (rawHer is not null && Options.Read(s, "her", rawHer, new[] { "none", "future", "final", "episode" }, diagnostics) is { } h)
        {
            if (h.Name != "none")
            {
                var k = h.Settings.Int("k", 4, NumberRange.Integers(0, SpecLimits.MaxModules));
                var strategy = h.Name switch
                {
                    "final" => HerGoalStrategy.Final,
                    "episode" => HerGoalStrategy.Episode,
                    _ => HerGoalStrategy.Future,
                };
                her = new HerModel(strategy, k);
                if (k == 0)
                {
                    diagnostics.Report(DiagnosticCatalog.NoEffect, h.Settings.SpanOf("k"), "k: 0 relabels no goals; HER will do nothing");
                }
                if (!agent.HasGoal)
                {
                    diagnostics.Report(DiagnosticCatalog.HerWithoutGoal, rawHer.Span,
                        "HER relabels the desired goal, but the agent declares no goal input; add e.g. 'goal desired: 3'");
                }
            }
            h.Settings.ReportUnknown();
        }
        CheckReplaySize(s, capacity, priority is not null, agent, diagnostics);
        s.ReportUnknown();
        return new ReplayModel(capacity, perTask, sampling, priority, her, span);
    }

    public static EvolutionModel? Evolution(Item? section, AgentModelDraft agent, PathNetOp? pathNet, DiagnosticBag diagnostics)
    {
        if (pathNet is null)
        {
            if (section is not null)
            {
                diagnostics.Report(DiagnosticCatalog.NoEffect, section.Head.Span, "'evolution' has no effect: no network uses a pathnet grid");
            }
            return null;
        }
        var span = section?.Span ?? agent.Span;
        var body = section?.Body ?? EquatableArray<Item>.Empty;
        ReportNonSettings(body, "evolution", diagnostics);
        var s = Settings.FromItems("evolution", span, body, diagnostics);
        var population = s.Int("population", TrainingDefaults.PathNetPopulation, NumberRange.Integers(2, SpecLimits.MaxPopulation));
        var tournament = s.Int("tournament", TrainingDefaults.PathNetTournament, NumberRange.Integers(2, SpecLimits.MaxPopulation));
        if (tournament > population && s.Has("tournament"))
        {
            diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("tournament"),
                $"'tournament' of evolution must be at most population ({population}), found {tournament}");
            tournament = population;
        }
        var mutation = s.Real("mutation", 1.0 / (pathNet.Layers * pathNet.Active), NumberRange.Probability);
        var shift = s.Int("mutation_shift", TrainingDefaults.PathNetMutationShift, NumberRange.Modules);
        var evaluation = s.Long("steps_per_evaluation", TrainingDefaults.PathNetStepsPerEvaluation, NumberRange.Steps);
        var fitness = s.Choice("fitness", PathwayFitness.Return, Fitnesses);
        var loserUpdates = s.Choice("loser_updates", LoserUpdates.Keep, LoserUpdateChoices);
        s.ReportUnknown();
        return new EvolutionModel(population, tournament, mutation, shift, evaluation, fitness, loserUpdates, span);
    }

    /// <summary>
    /// Every workspace of an update is batch × a width; all of them together must stay within
    /// <see cref="SpecLimits.MaxBatchActivations"/> (which also keeps each below 2³¹ elements).
    /// </summary>
    private static void CheckBatchActivations(Settings s, int batch, AgentModelDraft agent, DiagnosticBag diagnostics)
    {
        if (agent.Budget.Exceeded) return;
        var floats = Saturating.Multiply(batch, agent.Budget.Activations);
        if (floats <= SpecLimits.MaxBatchActivations) return;
        diagnostics.Report(DiagnosticCatalog.TooLarge, s.SpanOf("batch"),
            $"a batch of {Sizes.Count(batch)} × {Sizes.Count(agent.Budget.Activations)} activation floats per sample (inputs and every layer's outputs) = {Sizes.Count(floats)} floats; one pass may hold at most {Sizes.Count(SpecLimits.MaxBatchActivations)} (1 GiB): 'batch' can be at most {Sizes.Count(Math.Max(1, SpecLimits.MaxBatchActivations / Math.Max(1, agent.Budget.Activations)))} with these widths");
    }

    /// <summary>
    /// The replay buffer is allocated up front: each field is one array of capacity × width
    /// elements, and the whole must stay within <see cref="SpecLimits.MaxReplayBytes"/>.
    /// </summary>
    private static void CheckReplaySize(Settings s, long capacity, bool prioritized, AgentModelDraft agent, DiagnosticBag diagnostics)
    {
        var budget = agent.Budget;
        var widest = Math.Max(budget.ObservationWidth, Math.Max(budget.GoalWidth, budget.ActionWidth));
        var field = Saturating.Multiply(capacity, widest);
        if (field > SpecLimits.MaxArrayLength)
        {
            diagnostics.Report(DiagnosticCatalog.TooLarge, s.SpanOf("capacity"),
                $"a replay field holds capacity × width elements: {Sizes.Count(capacity)} × {Sizes.Count(widest)} = {Sizes.Count(field)}, but one array holds at most {Sizes.Count(SpecLimits.MaxArrayLength)}; 'capacity' can be at most {Sizes.Count(SpecLimits.MaxArrayLength / Math.Max(1, widest))} with these widths");
            return;
        }
        // Observations before and after, achieved/next achieved/desired goals, the action,
        // reward, task id, two flags and episode bookkeeping; priorities add a sum-tree slot.
        var floats = Saturating.Add(Saturating.Add(Saturating.Multiply(2, budget.ObservationWidth), Saturating.Multiply(3, budget.GoalWidth)), budget.ActionWidth);
        var perTransition = Saturating.Add(Saturating.Multiply(4, floats), 18 + (prioritized ? 16 : 0));
        var bytes = Saturating.Multiply(capacity, perTransition);
        if (bytes <= SpecLimits.MaxReplayBytes) return;
        diagnostics.Report(DiagnosticCatalog.TooLarge, s.SpanOf("capacity"),
            $"the replay buffer would take about {Sizes.GiB(bytes)} ({Sizes.Count(capacity)} transitions × {Sizes.Count(perTransition)} bytes); it may take at most {Sizes.GiB(SpecLimits.MaxReplayBytes)}: 'capacity' can be at most {Sizes.Count(SpecLimits.MaxReplayBytes / perTransition)} with these widths");
    }

    private static void ReportNonSettings(IEnumerable<Item> body, string section, DiagnosticBag diagnostics)
    {
        foreach (var item in body)
        {
            if (item.Kind == ItemKind.Setting && item.Name is null) continue;
            var form = item.Kind switch
            {
                ItemKind.Section => "a section",
                ItemKind.Binding => "a binding",
                _ => "a named setting",
            };
            diagnostics.Report(DiagnosticCatalog.WrongKind, item.Head.Span,
                $"'{section}' holds settings 'key: value'; '{item.Head.Text}' is written as {form}");
        }
    }
}

/// <summary>What the training binder needs to know about the agent bound so far.</summary>
internal sealed record AgentModelDraft(int Tasks, ActionSpaceModel Action, bool HasGoal, bool HasColumnsOrPaths, SourceSpan Span, AgentBudget Budget);
