using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// What a trainer needs of the networks beyond their roles, checked in the front end so that a
/// spec passing <c>check</c> also builds its trainer instead of failing at run time with a
/// message about internal parameter slices.
/// </summary>
internal static class TrainerRequirements
{
    public static void Check(TrainingModel training, IReadOnlyList<NetworkModel> networks, Item train, DiagnosticBag diagnostics)
    {
        if (training.Gradients.Method != TaskGradientMethod.GradNorm) return;
        // GradNorm learns task weights on one loss and balances the tasks' gradient norms on the
        // last shared weight matrix that loss trains: every network's for DQN (its one loss), the
        // critic's for SAC and TD3 (the actor borrows the critic's weights).
        var dqn = training.Algorithm is Algorithm.Dqn or Algorithm.Distill or Algorithm.Distral;
        var balanced = dqn ? networks.ToList() : networks.Where(n => n.Role == NetworkRole.Critic).ToList();
        if (balanced.Count == 0) return; // The missing network is reported already.
        if (balanced.SelectMany(n => n.Parameters).Any(p => p.Owner.Kind == ParameterOwnerKind.Shared && p.Name.EndsWith(ParameterNames.WeightSuffix, StringComparison.Ordinal))) return;
        var setting = train.Body.FirstOrDefault(i => i.Head.Text == "gradients");
        var at = setting?.Value?.Span ?? setting?.Span ?? train.Span;
        var what = dqn
            ? $"network{(balanced.Count == 1 ? "" : "s")} {string.Join(", ", balanced.Select(n => $"'{n.Name}'"))}"
            : $"the critic '{balanced[0].Name}'";
        diagnostics.Report(DiagnosticCatalog.NoSharedWeights, at,
            $"gradnorm balances the tasks' gradient norms on a shared weight matrix, but {what} has none (every weight is per-task or per-module); share a layer before the per-task parts (e.g. an mlp or linear) or use pcgrad or cagrad");
    }
}
