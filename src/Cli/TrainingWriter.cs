using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Cli;

/// <summary>Writes the training configuration back in spec syntax, every default made explicit.</summary>
internal static class TrainingWriter
{
    public static void Write(AgentModel agent, TextWriter output, string indent)
    {
        var t = agent.Training;
        var n = (System.Func<double, string>)ModelDescriber.Number;
        var inner = indent + "  ";
        output.WriteLine($"{indent}train {t.Algorithm.ToString().ToLowerInvariant()} {{");
        output.WriteLine($"{inner}gamma: {n(t.Gamma)}");
        output.WriteLine($"{inner}lr: {n(t.LearningRate)}");
        output.WriteLine($"{inner}batch: {t.BatchSize}");
        output.WriteLine($"{inner}steps: {t.Steps}");
        output.WriteLine($"{inner}warmup: {t.Warmup}");
        output.WriteLine($"{inner}train_every: {t.TrainEvery}");
        output.WriteLine($"{inner}gradient_steps: {t.GradientSteps}");
        output.WriteLine($"{inner}grad_clip: {n(t.GradientClip)}{(t.GradientClip == 0 ? "    # off" : "")}");
        output.WriteLine($"{inner}tau: {n(t.Tau)}");
        output.WriteLine($"{inner}seed: {t.Seed}");
        if (t.Dqn is { } dqn)
        {
            output.WriteLine($"{inner}double: {(dqn.Double ? "true" : "false")}");
            output.WriteLine($"{inner}loss: {dqn.Loss.ToString().ToLowerInvariant()}");
            output.WriteLine($"{inner}target_update_every: {dqn.TargetUpdateEvery}");
            output.WriteLine($"{inner}epsilon_start: {n(dqn.EpsilonStart)}");
            output.WriteLine($"{inner}epsilon_end: {n(dqn.EpsilonEnd)}");
            output.WriteLine($"{inner}epsilon_decay_steps: {dqn.EpsilonDecaySteps}");
        }
        if (t.Sac is { } sac)
        {
            output.WriteLine(sac.AlphaMode == TemperatureMode.Fixed
                ? $"{inner}alpha: {n(sac.AlphaInit)}"
                : $"{inner}alpha: {(sac.AlphaMode == TemperatureMode.PerTask ? "per_task" : "learned")}");
            if (sac.AlphaMode != TemperatureMode.Fixed) output.WriteLine($"{inner}alpha_init: {n(sac.AlphaInit)}");
            output.WriteLine($"{inner}alpha_lr: {n(sac.AlphaLearningRate)}");
            output.WriteLine(sac.TargetEntropy is { } entropy
                ? $"{inner}target_entropy: {n(entropy)}"
                : $"{inner}target_entropy: auto    # -{agent.Action.Size}");
            output.WriteLine($"{inner}actor_lr: {n(sac.ActorLearningRate)}");
            output.WriteLine($"{inner}critic_lr: {n(sac.CriticLearningRate)}");
            output.WriteLine($"{inner}actor_update_every: {sac.ActorUpdateEvery}");
            output.WriteLine($"{inner}target_update_every: {sac.TargetUpdateEvery}");
        }
        if (t.Td3 is { } td3)
        {
            output.WriteLine($"{inner}policy_noise: {n(td3.PolicyNoise)}");
            output.WriteLine($"{inner}noise_clip: {n(td3.NoiseClip)}");
            output.WriteLine($"{inner}policy_delay: {td3.PolicyDelay}");
            output.WriteLine($"{inner}exploration_noise: {n(td3.ExplorationNoise)}");
            output.WriteLine($"{inner}actor_lr: {n(td3.ActorLearningRate)}");
            output.WriteLine($"{inner}critic_lr: {n(td3.CriticLearningRate)}");
        }
        if (t.Distill is { } distill)
        {
            output.WriteLine(distill.Method switch
            {
                DistillationMethod.Kl => $"{inner}method: kl(tau: {n(distill.Temperature)})",
                DistillationMethod.ActorMimic => $"{inner}method: actor_mimic(tau: {n(distill.Temperature)}, features: {n(distill.FeatureWeight)})" +
                                            (distill.FeatureWeight > 0 ? "" : "    # no feature regression"),
                _ => $"{inner}method: {distill.Method.ToString().ToLowerInvariant()}",
            });
            output.WriteLine($"{inner}collector: {distill.Collector.ToString().ToLowerInvariant()}");
            output.WriteLine($"{inner}epsilon_start: {n(distill.EpsilonStart)}");
            output.WriteLine($"{inner}epsilon_end: {n(distill.EpsilonEnd)}");
            output.WriteLine($"{inner}epsilon_decay_steps: {distill.EpsilonDecaySteps}");
        }
        if (t.Distral is { } distral)
        {
            output.WriteLine($"{inner}kl: {n(distral.KlCoefficient)}");
            output.WriteLine($"{inner}entropy: {n(distral.EntropyCoefficient)}");
            output.WriteLine($"{inner}target_update_every: {distral.TargetUpdateEvery}");
            output.WriteLine($"{inner}loss: {distral.Loss.ToString().ToLowerInvariant()}");
        }
        var g = t.Gradients;
        var reduction = g.Reduction.ToString().ToLowerInvariant();
        output.WriteLine(g.Method switch
        {
            TaskGradientMethod.PcGrad => $"{inner}gradients: pcgrad(reduction: {reduction})",
            TaskGradientMethod.CaGrad => $"{inner}gradients: cagrad(c: {n(g.CaGradC)}, reduction: {reduction})",
            TaskGradientMethod.GradNorm => $"{inner}gradients: gradnorm(alpha: {n(g.GradNormAlpha)}, lr: {n(g.GradNormLearningRate)}, reduction: {reduction})",
            _ => $"{inner}gradients: none",
        });
        output.WriteLine(t.LossWeights.Kind switch
        {
            LossWeightingKind.Fixed => $"{inner}loss_weights: fixed(weights: [{string.Join(", ", t.LossWeights.Weights.Select(n))}])",
            LossWeightingKind.AlphaSoftmax => $"{inner}loss_weights: alpha_softmax",
            _ => $"{inner}loss_weights: uniform",
        });
        output.WriteLine(t.Schedule.Kind == ScheduleKind.Sequential
            ? $"{inner}schedule: sequential(steps_per_task: {t.Schedule.StepsPerTask})"
            : $"{inner}schedule: joint");
        output.WriteLine($"{inner}freeze: [{string.Join(", ", t.Freeze)}]");
        output.WriteLine($"{indent}}}");

        var r = agent.Replay;
        output.WriteLine($"{indent}replay {{");
        output.WriteLine($"{inner}capacity: {r.Capacity}");
        output.WriteLine($"{inner}per_task: {(r.PerTask ? "true" : "false")}");
        output.WriteLine($"{inner}sampling: {r.Sampling.ToString().ToLowerInvariant()}");
        output.WriteLine(r.Priority is { } p
            ? $"{inner}priority: proportional(alpha: {n(p.Alpha)}, beta: {n(p.Beta)}, beta_final: {n(p.BetaFinal)}, epsilon: {n(p.Epsilon)})"
            : $"{inner}priority: none");
        output.WriteLine(r.Her is { } her
            ? $"{inner}her: {her.Strategy.ToString().ToLowerInvariant()}(k: {her.K})    # relabels {n(System.Math.Round(her.RelabelRatio * 100, 1))}% of each batch"
            : $"{inner}her: none");
        output.WriteLine($"{indent}}}");

        if (agent.Evolution is { } e)
        {
            output.WriteLine($"{indent}evolution {{");
            output.WriteLine($"{inner}population: {e.Population}");
            output.WriteLine($"{inner}tournament: {e.Tournament}");
            output.WriteLine($"{inner}mutation: {n(e.MutationProbability)}");
            output.WriteLine($"{inner}mutation_shift: {e.MutationShift}");
            output.WriteLine($"{inner}steps_per_evaluation: {e.StepsPerEvaluation}");
            output.WriteLine($"{inner}fitness: {e.Fitness.ToString().ToLowerInvariant()}");
            output.WriteLine($"{indent}}}");
        }
    }
}
