using System;

namespace Mtrl.Runtime.Losses;

/// <summary>
/// Losses of the distillation family: policy distillation (Rusu et al. 2015, arXiv:1511.06295),
/// Actor-Mimic (Parisotto et al. 2015, arXiv:1511.06342) and Distral (Teh et al. 2017,
/// arXiv:1707.04175), with their exact gradients.
/// </summary>
/// <remarks>
/// <para>Conventions shared by every member (those of <see cref="Loss"/>):</para>
/// <list type="bullet">
/// <item>Inputs are row-major, <c>batch</c> rows of <c>actions</c> (or <c>width</c>) floats; every span
/// must hold exactly batch × actions elements (batch for per-row spans), or be empty where a
/// parameter says it may be. A wrong length is an <see cref="ArgumentException"/> naming the
/// parameter; batch or actions below 1 an <see cref="ArgumentOutOfRangeException"/>.</item>
/// <item>A loss returns the <b>mean over the batch</b> of its per-row loss ℓ_b, times <c>scale</c>:
/// L = scale · (1/B) Σ_b ℓ_b. Sums are accumulated in float64 and softmaxes are computed in
/// float64 with the row maximum subtracted, so logits of ±80 (or teacher values divided by a
/// tiny τ) stay finite.</item>
/// <item><c>gradient</c> receives ∂L/∂(prediction) — already divided by the batch and times
/// <c>scale</c> — in every element; it may be empty to compute the loss alone.</item>
/// <item>A NaN in the inputs gives a NaN loss (never an exception), as in <see cref="Loss.Huber"/>.</item>
/// <item>Nothing is allocated.</item>
/// </list>
/// </remarks>
public static class DistillationLoss
{
    // ─────────────────────────── Policy distillation (Rusu et al. 2015) ───────────────────────────

    /// <summary>
    /// Policy distillation's KL loss (Rusu et al. 2015, Eq. 3): the teacher's Q values, sharpened by
    /// a temperature τ, against the student's policy.
    /// <code>
    /// p_T = softmax(q_T / τ),  p_S = softmax(z_S)
    /// ℓ_b = KL(p_T ‖ p_S) = Σ_a p_T(a) · (log p_T(a) − log p_S(a))      (terms with p_T(a) = 0 are 0)
    /// ∂L/∂z_S(a) = scale · (p_S(a) − p_T(a)) / B
    /// </code>
    /// The paper uses small τ (0.01) to sharpen the teacher's nearly equal Q values; any τ in (0, ∞)
    /// is accepted, and as τ → 0 the loss tends to <see cref="NllTeacherArgmax"/> (no ties).
    /// The gradient equals <see cref="PolicyRegression"/>'s; the values differ by the teacher's
    /// entropy, which does not depend on the student.
    /// </summary>
    /// <param name="studentLogits">z_S, batch × actions.</param>
    /// <param name="teacherQ">q_T, batch × actions.</param>
    /// <param name="gradient">∂L/∂z_S, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="tau">Temperature τ in (0, ∞).</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <returns>scale · mean KL.</returns>
    public static double KlTemperature(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> teacherQ, Span<float> gradient,
        int batch, int actions, float tau, float scale = 1f)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckTau(tau);
        var n = batch * actions;
        CheckInput(studentLogits, n, nameof(studentLogits));
        CheckInput(teacherQ, n, nameof(teacherQ));
        CheckOutput(gradient, n, nameof(gradient));
        return TeacherSoftmaxLoss(studentLogits, teacherQ, gradient, batch, actions, 1.0 / tau, scale, crossEntropy: false);
    }

    /// <summary>
    /// Policy distillation's negative log-likelihood loss (Rusu et al. 2015, Eq. 1): the student is
    /// trained to pick the teacher's greedy action.
    /// <code>
    /// a*_b = argmax_a q_T(b, a)   (ties → the lowest index)
    /// ℓ_b = −log softmax(z_S)(a*_b)
    /// ∂L/∂z_S(a) = scale · (softmax(z_S)(a) − [a = a*_b]) / B
    /// </code>
    /// A row of <paramref name="teacherQ"/> holding NaN has no argmax: its loss and its gradient row are NaN.
    /// </summary>
    /// <param name="studentLogits">z_S, batch × actions.</param>
    /// <param name="teacherQ">q_T, batch × actions.</param>
    /// <param name="gradient">∂L/∂z_S, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <returns>scale · mean negative log-likelihood.</returns>
    public static double NllTeacherArgmax(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> teacherQ, Span<float> gradient,
        int batch, int actions, float scale = 1f)
    {
        CheckShape(batch, actions, nameof(actions));
        var n = batch * actions;
        CheckInput(studentLogits, n, nameof(studentLogits));
        CheckInput(teacherQ, n, nameof(teacherQ));
        CheckOutput(gradient, n, nameof(gradient));
        double total = 0, factor = (double)scale / batch;
        for (var b = 0; b < batch; b++)
        {
            var z = studentLogits.Slice(b * actions, actions);
            var target = ArgMax(teacherQ.Slice(b * actions, actions));
            var logSum = LogNormalizer(z, 1.0, out var max);
            total += target < 0 ? double.NaN : logSum - (z[target] - max);
            if (gradient.IsEmpty) continue;
            var g = gradient.Slice(b * actions, actions);
            for (var a = 0; a < actions; a++)
            {
                var p = Math.Exp(z[a] - max - logSum);
                g[a] = target < 0 ? float.NaN : (float)(factor * (p - (a == target ? 1.0 : 0.0)));
            }
        }
        return scale * total / batch;
    }

    /// <summary>
    /// Policy distillation's squared-error loss on Q values (Rusu et al. 2015, Eq. 2, which sums
    /// ‖q_T − q_S‖²₂ over the data set): each row's squared error is <b>summed over the actions</b>
    /// (not averaged), and the rows are averaged.
    /// <code>
    /// ℓ_b = Σ_a (q_S(b, a) − q_T(b, a))²
    /// ∂L/∂q_S(a) = scale · 2 (q_S(a) − q_T(a)) / B
    /// </code>
    /// </summary>
    /// <param name="studentQ">q_S, batch × actions.</param>
    /// <param name="teacherQ">q_T, batch × actions.</param>
    /// <param name="gradient">∂L/∂q_S, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <returns>scale · mean over rows of the per-row sum of squares.</returns>
    public static double MseQ(ReadOnlySpan<float> studentQ, ReadOnlySpan<float> teacherQ, Span<float> gradient,
        int batch, int actions, float scale = 1f)
    {
        CheckShape(batch, actions, nameof(actions));
        var n = batch * actions;
        CheckInput(studentQ, n, nameof(studentQ));
        CheckInput(teacherQ, n, nameof(teacherQ));
        CheckOutput(gradient, n, nameof(gradient));
        return SquaredError(studentQ, teacherQ, gradient, batch, n, 1.0, scale);
    }

    // ───────────────────────────── Actor-Mimic (Parisotto et al. 2015) ─────────────────────────────

    /// <summary>
    /// Actor-Mimic's policy regression objective (Parisotto et al. 2015, Eqs. 1–2): cross-entropy
    /// from the expert's Boltzmann policy to the Actor-Mimic network's policy.
    /// <code>
    /// π_E = softmax(Q_E / τ)   (Eq. 1),  π_AMN = softmax(z)
    /// ℓ_b = −Σ_a π_E(a) · log π_AMN(a)      (Eq. 2, written there without the minus sign; terms with π_E(a) = 0 are 0)
    /// ∂L/∂z(a) = scale · (π_AMN(a) − π_E(a)) / B
    /// </code>
    /// Actor-Mimic's full objective (Eq. 4) is this plus β_AM · <see cref="FeatureRegression"/>.
    /// </summary>
    /// <param name="studentLogits">z (the Actor-Mimic network's logits), batch × actions.</param>
    /// <param name="expertQ">Q_E, batch × actions.</param>
    /// <param name="gradient">∂L/∂z, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="tau">Temperature τ in (0, ∞).</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <returns>scale · mean cross-entropy.</returns>
    public static double PolicyRegression(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> expertQ, Span<float> gradient,
        int batch, int actions, float tau, float scale = 1f)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckTau(tau);
        var n = batch * actions;
        CheckInput(studentLogits, n, nameof(studentLogits));
        CheckInput(expertQ, n, nameof(expertQ));
        CheckOutput(gradient, n, nameof(gradient));
        return TeacherSoftmaxLoss(studentLogits, expertQ, gradient, batch, actions, 1.0 / tau, scale, crossEntropy: true);
    }

    /// <summary>
    /// Actor-Mimic's feature regression objective (Parisotto et al. 2015, Eq. 3), with a ½: the
    /// prediction f_i(h_AMN(s)) of the expert's hidden features h_E(s) (f_i is the caller's
    /// regression network; this loss takes its output).
    /// <code>
    /// ℓ_b = ½ Σ_j (f(b, j) − h_E(b, j))²       (summed over the width, averaged over the rows)
    /// ∂L/∂f(j) = scale · (f(j) − h_E(j)) / B
    /// </code>
    /// The paper's Eq. 3 is ‖f − h_E‖²₂ without the ½: pass <c>scale = 2</c> (or double the weight β_AM
    /// of Eq. 4, 0.01 in the paper) to reproduce it exactly.
    /// </summary>
    /// <param name="predictedFeatures">f(h_AMN), batch × width.</param>
    /// <param name="expertFeatures">h_E, batch × width.</param>
    /// <param name="gradient">∂L/∂f, batch × width, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="width">Features per row.</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <returns>scale · mean over rows of ½‖f − h_E‖².</returns>
    public static double FeatureRegression(ReadOnlySpan<float> predictedFeatures, ReadOnlySpan<float> expertFeatures, Span<float> gradient,
        int batch, int width, float scale = 1f)
    {
        CheckShape(batch, width, nameof(width));
        var n = batch * width;
        CheckInput(predictedFeatures, n, nameof(predictedFeatures), "batch × width");
        CheckInput(expertFeatures, n, nameof(expertFeatures), "batch × width");
        CheckOutput(gradient, n, nameof(gradient), "batch × width");
        return SquaredError(predictedFeatures, expertFeatures, gradient, batch, n, 0.5, scale);
    }

    // ───────────────────────────────── Distral (Teh et al. 2017) ─────────────────────────────────

    /// <summary>
    /// Distral's α and β from the costs of its objective (Teh et al. 2017, Eq. 1):
    /// α = c_KL / (c_KL + c_Ent) and β = 1 / (c_KL + c_Ent), so that α/β = c_KL and 1/β = c_KL + c_Ent.
    /// c_Ent = 0 (KL regularisation alone) gives α = 1; c_KL = 0 gives α = 0 (no distillation, π_0 is not trained).
    /// </summary>
    /// <param name="cKl">c_KL in [0, ∞): the cost of KL(π_i ‖ π_0).</param>
    /// <param name="cEnt">c_Ent in [0, ∞): the cost of the negative entropy of π_i.</param>
    /// <exception cref="ArgumentOutOfRangeException">A cost outside [0, ∞).</exception>
    /// <exception cref="ArgumentException">Both costs 0 (β would be infinite: unregularised RL) or their sum so small that β overflows float.</exception>
    public static (float Alpha, float Beta) DistralCoefficients(float cKl, float cEnt)
    {
        if (!(cKl >= 0) || float.IsPositiveInfinity(cKl)) throw new ArgumentOutOfRangeException(nameof(cKl), cKl, "c_KL must be in [0, ∞)");
        if (!(cEnt >= 0) || float.IsPositiveInfinity(cEnt)) throw new ArgumentOutOfRangeException(nameof(cEnt), cEnt, "c_Ent must be in [0, ∞)");
        var sum = (double)cKl + cEnt;
        var beta = (float)(1.0 / sum);
        if (sum == 0 || float.IsInfinity(beta))
            throw new ArgumentException($"c_KL + c_Ent = {sum} gives β = 1/(c_KL + c_Ent) outside (0, ∞); Distral needs c_KL + c_Ent > 0", nameof(cEnt));
        return ((float)(cKl / sum), beta);
    }

    /// <summary>
    /// Distral's task policy in the two-column parameterisation (Teh et al. 2017, Eqs. 6–8): the
    /// distilled policy π_0 = softmax(h) (Eq. 6) tilted by the task column f_i.
    /// <code>
    /// π_i(a|s) = π_0(a|s)^α · exp(β f_i(a|s)) / Σ_a' π_0(a'|s)^α · exp(β f_i(a'|s))
    ///          = softmax(α h + β f_i)(a)                                        (Eq. 8)
    /// </code>
    /// With f_i = Q_i this is Eq. 4's optimal policy π_0^α · exp(β (Q_i − V_i)), V_i from
    /// <see cref="DistralSoftValue"/>. α = 0 gives softmax(β f_i), the entropy-regularised (soft
    /// Q-learning) policy without a prior.
    /// </summary>
    /// <param name="distilledLogits">h, batch × actions.</param>
    /// <param name="taskQ">f_i (the task column, soft Q values), batch × actions.</param>
    /// <param name="policy">π_i, batch × actions, or empty.</param>
    /// <param name="logPolicy">log π_i, batch × actions, or empty (finite where π_i underflows to 0).</param>
    /// <param name="batch">Rows.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="alpha">α in [0, 1].</param>
    /// <param name="beta">β in (0, ∞).</param>
    public static void DistralPolicy(ReadOnlySpan<float> distilledLogits, ReadOnlySpan<float> taskQ, Span<float> policy, Span<float> logPolicy,
        int batch, int actions, float alpha, float beta)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckAlphaBeta(alpha, beta);
        var n = batch * actions;
        CheckInput(distilledLogits, n, nameof(distilledLogits));
        CheckInput(taskQ, n, nameof(taskQ));
        CheckOutput(policy, n, nameof(policy));
        CheckOutput(logPolicy, n, nameof(logPolicy));
        for (var b = 0; b < batch; b++)
        {
            var h = distilledLogits.Slice(b * actions, actions);
            var f = taskQ.Slice(b * actions, actions);
            var logZ = MixedLogNormalizer(h, f, alpha, beta, out var hMax, out var hLogSum, out var uMax);
            for (var a = 0; a < actions; a++)
            {
                var logP = Mixed(h[a], f[a], hMax, hLogSum, alpha, beta) - uMax - logZ;
                if (!policy.IsEmpty) policy[b * actions + a] = (float)Math.Exp(logP);
                if (!logPolicy.IsEmpty) logPolicy[b * actions + a] = (float)logP;
            }
        }
    }

    /// <summary>
    /// Distral's soft state value (Teh et al. 2017, Eq. 2), the bootstrap of the soft TD target
    /// Q_i(s, a) ← r + γ V_i(s′) (Eq. 3), computed as a log-sum-exp in float64:
    /// <code>
    /// V_i(s) = (1/β) · log Σ_a π_0(a|s)^α · exp(β Q_i(s, a)),   π_0 = softmax(h)
    ///        = (1/β) · logsumexp_a(α log π_0(a|s) + β Q_i(s, a))
    /// ∂V_i/∂Q_i(a) = π_i(a|s)                       (π_i of <see cref="DistralPolicy"/> with f_i = Q_i)
    /// ∂V_i/∂h(a)   = (α/β) · (π_i(a|s) − π_0(a|s))
    /// </code>
    /// With g = <paramref name="valueGradient"/> (the gradient of some loss with respect to the values,
    /// all ones when empty), the gradients written are those of Σ_b g_b V_i(s_b) — no division by the
    /// batch, since V is a per-row value, not a loss. Limits: α = 0 gives (1/β) logsumexp(β Q_i), the
    /// soft maximum; α = 1 (c_Ent = 0) gives (1/β) log E_{π_0}[exp(β Q_i)]; β → ∞ tends to max_a Q_i.
    /// </summary>
    /// <param name="distilledLogits">h, batch × actions.</param>
    /// <param name="taskQ">Q_i, batch × actions.</param>
    /// <param name="values">V_i(s_b), batch.</param>
    /// <param name="valueGradient">g, batch, or empty for all ones.</param>
    /// <param name="gradientLogits">∂(Σ_b g_b V_b)/∂h, batch × actions, or empty.</param>
    /// <param name="gradientQ">∂(Σ_b g_b V_b)/∂Q_i, batch × actions, or empty.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="alpha">α in [0, 1].</param>
    /// <param name="beta">β in (0, ∞).</param>
    /// <returns>The mean of V_i over the batch.</returns>
    public static double DistralSoftValue(ReadOnlySpan<float> distilledLogits, ReadOnlySpan<float> taskQ, Span<float> values,
        ReadOnlySpan<float> valueGradient, Span<float> gradientLogits, Span<float> gradientQ, int batch, int actions, float alpha, float beta)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckAlphaBeta(alpha, beta);
        var n = batch * actions;
        CheckInput(distilledLogits, n, nameof(distilledLogits));
        CheckInput(taskQ, n, nameof(taskQ));
        CheckLength(values.Length, batch, nameof(values), "batch");
        if (!valueGradient.IsEmpty) CheckLength(valueGradient.Length, batch, nameof(valueGradient), "batch");
        CheckOutput(gradientLogits, n, nameof(gradientLogits));
        CheckOutput(gradientQ, n, nameof(gradientQ));
        double total = 0, ratio = (double)alpha / beta;
        for (var b = 0; b < batch; b++)
        {
            var h = distilledLogits.Slice(b * actions, actions);
            var q = taskQ.Slice(b * actions, actions);
            var logZ = MixedLogNormalizer(h, q, alpha, beta, out var hMax, out var hLogSum, out var uMax);
            var value = (uMax + logZ) / beta;
            values[b] = (float)value;
            total += value;
            if (gradientLogits.IsEmpty && gradientQ.IsEmpty) continue;
            double g = valueGradient.IsEmpty ? 1.0 : valueGradient[b];
            for (var a = 0; a < actions; a++)
            {
                var pi = Math.Exp(Mixed(h[a], q[a], hMax, hLogSum, alpha, beta) - uMax - logZ);
                if (!gradientQ.IsEmpty) gradientQ[b * actions + a] = (float)(g * pi);
                if (!gradientLogits.IsEmpty)
                {
                    var pi0 = Math.Exp(h[a] - hMax - hLogSum);
                    gradientLogits[b * actions + a] = (float)(g * ratio * (pi - pi0));
                }
            }
        }
        return total / batch;
    }

    /// <summary>
    /// Distral's distillation loss on sampled actions (Teh et al. 2017, Eq. 5): the only terms of the
    /// objective (Eq. 1) that depend on π_0 are (α/β) Σ_i E_{π_i}[Σ_t γ^t log π_0(a_t|s_t)], a
    /// log-likelihood of the actions every task policy took; its negative, per transition, is
    /// <code>
    /// ℓ_b = −(α/β) · w_b · log π_0(a_b|s_b),   π_0 = softmax(h),  α/β = c_KL
    /// ∂L/∂h(a) = scale · (α/β) · w_b · (π_0(a|s_b) − [a = a_b]) / B
    /// </code>
    /// with w_b from <paramref name="weights"/> (1 when empty): the paper's γ^t, or importance
    /// weights — many implementations drop γ^t. Transitions from all tasks go in one batch. α = 0
    /// (c_KL = 0) gives a zero loss and a zero gradient.
    /// </summary>
    /// <param name="distilledLogits">h, batch × actions.</param>
    /// <param name="actionsTaken">a_b in [0, actions), batch.</param>
    /// <param name="gradient">∂L/∂h, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="alpha">α in [0, 1].</param>
    /// <param name="beta">β in (0, ∞).</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <param name="weights">w_b, batch, or empty for all ones.</param>
    /// <returns>scale · (1/B) Σ_b ℓ_b.</returns>
    public static double DistralDistilledLoss(ReadOnlySpan<float> distilledLogits, ReadOnlySpan<int> actionsTaken, Span<float> gradient,
        int batch, int actions, float alpha, float beta, float scale = 1f, ReadOnlySpan<float> weights = default)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckAlphaBeta(alpha, beta);
        var n = batch * actions;
        CheckInput(distilledLogits, n, nameof(distilledLogits));
        CheckLength(actionsTaken.Length, batch, nameof(actionsTaken), "batch");
        foreach (var a in actionsTaken)
        {
            if ((uint)a >= (uint)actions) throw new ArgumentOutOfRangeException(nameof(actionsTaken), a, $"actions taken must be in [0, {actions})");
        }
        CheckOutput(gradient, n, nameof(gradient));
        if (!weights.IsEmpty) CheckLength(weights.Length, batch, nameof(weights), "batch");
        double total = 0, ratio = (double)alpha / beta, factor = (double)scale / batch;
        for (var b = 0; b < batch; b++)
        {
            var z = distilledLogits.Slice(b * actions, actions);
            var target = actionsTaken[b];
            double w = weights.IsEmpty ? 1.0 : weights[b];
            var logSum = LogNormalizer(z, 1.0, out var max);
            total += ratio * w * (logSum - (z[target] - max));
            if (gradient.IsEmpty) continue;
            for (var a = 0; a < actions; a++)
            {
                var p = Math.Exp(z[a] - max - logSum);
                gradient[b * actions + a] = (float)(factor * ratio * w * (p - (a == target ? 1.0 : 0.0)));
            }
        }
        return scale * total / batch;
    }

    /// <summary>
    /// Distral's distillation loss in expectation over the task policy's actions (Teh et al. 2017,
    /// Eq. 5 with the inner expectation over a ~ π_i taken exactly; its gradient is the last term of
    /// Eq. 10): π_i is held fixed (no gradient flows to it).
    /// <code>
    /// ℓ_b = −(α/β) · w_b · Σ_a π_i(a|s_b) · log π_0(a|s_b),   π_0 = softmax(h)
    /// ∂L/∂h(a) = scale · (α/β) · w_b · (π_0(a|s_b) · Σ_a' π_i(a'|s_b) − π_i(a|s_b)) / B
    ///          = scale · (α/β) · w_b · (π_0(a|s_b) − π_i(a|s_b)) / B   when the row of π_i sums to 1
    /// </code>
    /// It is the π_0-dependent part of (α/β)·KL(π_i ‖ π_0); its gradient is the expectation over
    /// a_b ~ π_i of <see cref="DistralDistilledLoss"/>'s.
    /// </summary>
    /// <param name="distilledLogits">h, batch × actions.</param>
    /// <param name="taskPolicy">π_i (probabilities, e.g. from <see cref="DistralPolicy"/>), batch × actions.</param>
    /// <param name="gradient">∂L/∂h, batch × actions, or empty.</param>
    /// <param name="batch">Rows B.</param>
    /// <param name="actions">Actions per row.</param>
    /// <param name="alpha">α in [0, 1].</param>
    /// <param name="beta">β in (0, ∞).</param>
    /// <param name="scale">Multiplies the loss and its gradient.</param>
    /// <param name="weights">w_b, batch, or empty for all ones.</param>
    /// <returns>scale · (1/B) Σ_b ℓ_b.</returns>
    public static double DistralDistilledCrossEntropy(ReadOnlySpan<float> distilledLogits, ReadOnlySpan<float> taskPolicy, Span<float> gradient,
        int batch, int actions, float alpha, float beta, float scale = 1f, ReadOnlySpan<float> weights = default)
    {
        CheckShape(batch, actions, nameof(actions));
        CheckAlphaBeta(alpha, beta);
        var n = batch * actions;
        CheckInput(distilledLogits, n, nameof(distilledLogits));
        CheckInput(taskPolicy, n, nameof(taskPolicy));
        CheckOutput(gradient, n, nameof(gradient));
        if (!weights.IsEmpty) CheckLength(weights.Length, batch, nameof(weights), "batch");
        double total = 0, ratio = (double)alpha / beta, factor = (double)scale / batch;
        for (var b = 0; b < batch; b++)
        {
            var z = distilledLogits.Slice(b * actions, actions);
            var p = taskPolicy.Slice(b * actions, actions);
            double w = weights.IsEmpty ? 1.0 : weights[b];
            var logSum = LogNormalizer(z, 1.0, out var max);
            double crossEntropy = 0, mass = 0;
            for (var a = 0; a < actions; a++)
            {
                crossEntropy -= p[a] * (z[a] - max - logSum);
                mass += p[a];
            }
            total += ratio * w * crossEntropy;
            if (gradient.IsEmpty) continue;
            for (var a = 0; a < actions; a++)
            {
                var pi0 = Math.Exp(z[a] - max - logSum);
                gradient[b * actions + a] = (float)(factor * ratio * w * (pi0 * mass - p[a]));
            }
        }
        return scale * total / batch;
    }

    // ─────────────────────────────────────────── Shared ───────────────────────────────────────────

    /// <summary>KL(softmax(c·t) ‖ softmax(z)) or the cross-entropy −Σ softmax(c·t) log softmax(z), per row, averaged.</summary>
    private static double TeacherSoftmaxLoss(ReadOnlySpan<float> studentLogits, ReadOnlySpan<float> teacher, Span<float> gradient,
        int batch, int actions, double inverseTau, float scale, bool crossEntropy)
    {
        double total = 0, factor = (double)scale / batch;
        for (var b = 0; b < batch; b++)
        {
            var z = studentLogits.Slice(b * actions, actions);
            var t = teacher.Slice(b * actions, actions);
            var studentLogSum = LogNormalizer(z, 1.0, out var studentMax);
            var teacherLogSum = LogNormalizer(t, inverseTau, out var teacherMax);
            double row = 0;
            for (var a = 0; a < actions; a++)
            {
                var logP = inverseTau * (t[a] - teacherMax) - teacherLogSum;
                var p = Math.Exp(logP);
                // 0 · log 0 = 0 for actions the sharpened teacher never takes (p underflows); NaN ≠ 0 still propagates.
                if (p == 0) continue;
                var logQ = z[a] - studentMax - studentLogSum;
                row += crossEntropy ? -p * logQ : p * (logP - logQ);
            }
            total += row;
            if (gradient.IsEmpty) continue;
            for (var a = 0; a < actions; a++)
            {
                var p = Math.Exp(inverseTau * (t[a] - teacherMax) - teacherLogSum);
                var q = Math.Exp(z[a] - studentMax - studentLogSum);
                gradient[b * actions + a] = (float)(factor * (q - p));
            }
        }
        return scale * total / batch;
    }

    /// <summary>scale · (1/B) Σ half·(x − y)² and its gradient scale · 2·half·(x − y)/B, in float64.</summary>
    private static double SquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient,
        int batch, int count, double half, float scale)
    {
        double sum = 0, factor = 2 * half * scale / batch;
        for (var i = 0; i < count; i++)
        {
            var difference = (double)prediction[i] - target[i];
            sum += difference * difference;
            if (!gradient.IsEmpty) gradient[i] = (float)(factor * difference);
        }
        return scale * half * sum / batch;
    }

    /// <summary>log Σ exp(c·(z − max)) for c &gt; 0, with max = max z (NaN propagates through the sum).</summary>
    private static double LogNormalizer(ReadOnlySpan<float> z, double c, out double max)
    {
        var m = float.NegativeInfinity;
        foreach (var v in z)
        {
            if (v > m) m = v;
        }
        max = m;
        double sum = 0;
        foreach (var v in z) sum += Math.Exp(c * (v - max));
        return Math.Log(sum);
    }

    /// <summary>u = α log softmax(h)(a) + β f(a), the log-weight of action a in Distral's π_i.</summary>
    private static double Mixed(float h, float f, double hMax, double hLogSum, double alpha, double beta) =>
        alpha * (h - hMax - hLogSum) + beta * f;

    /// <summary>log Σ_a exp(u_a − uMax) for u of <see cref="Mixed"/>; returns the softmax normaliser of h and uMax too.</summary>
    private static double MixedLogNormalizer(ReadOnlySpan<float> h, ReadOnlySpan<float> f, double alpha, double beta,
        out double hMax, out double hLogSum, out double uMax)
    {
        hLogSum = LogNormalizer(h, 1.0, out hMax);
        var m = double.NegativeInfinity;
        for (var a = 0; a < h.Length; a++)
        {
            var u = Mixed(h[a], f[a], hMax, hLogSum, alpha, beta);
            if (u > m) m = u;
        }
        uMax = m;
        double sum = 0;
        for (var a = 0; a < h.Length; a++) sum += Math.Exp(Mixed(h[a], f[a], hMax, hLogSum, alpha, beta) - uMax);
        return Math.Log(sum);
    }

    /// <summary>Index of the largest value, the lowest on ties; −1 when the row holds NaN.</summary>
    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var a = 0; a < row.Length; a++)
        {
            if (float.IsNaN(row[a])) return -1;
            if (row[a] > row[best]) best = a;
        }
        return best;
    }

    private static void CheckShape(int batch, int columns, string columnsName)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        if (columns < 1) throw new ArgumentOutOfRangeException(columnsName, columns, $"{columnsName} must be at least 1");
        if ((long)batch * columns > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch × {columnsName} = {(long)batch * columns} exceeds the largest span");
    }

    private static void CheckInput(ReadOnlySpan<float> span, int expected, string name, string shape = "batch × actions") =>
        CheckLength(span.Length, expected, name, shape);

    private static void CheckOutput(Span<float> span, int expected, string name, string shape = "batch × actions")
    {
        if (!span.IsEmpty) CheckLength(span.Length, expected, name, shape);
    }

    private static void CheckLength(int length, int expected, string name, string shape)
    {
        if (length != expected) throw new ArgumentException($"{name} has {length} elements; it needs {shape} = {expected}", name);
    }

    private static void CheckTau(float tau)
    {
        if (!(tau > 0) || float.IsPositiveInfinity(tau)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be in (0, ∞)");
    }

    private static void CheckAlphaBeta(float alpha, float beta)
    {
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1] (α = c_KL/(c_KL + c_Ent) with c_KL, c_Ent ≥ 0)");
        if (!(beta > 0) || float.IsPositiveInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in (0, ∞) (β = 1/(c_KL + c_Ent) with c_KL + c_Ent > 0)");
    }
}
