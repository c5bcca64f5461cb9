namespace Mtrl.Contracts;

/// <summary>What the student of a <c>DistillationTrainer</c> is fitted to, and with which loss.</summary>
public enum DistillationMethod
{
    /// <summary>
    /// KL(softmax(q_T/τ) ‖ softmax(z_S)): the teacher's Q values sharpened by the temperature
    /// (Rusu et al. 2015, Eq. 3; <c>DistillationLoss.KlTemperature</c>).
    /// </summary>
    Kl,

    /// <summary>−log softmax(z_S)(argmax q_T): the teacher's greedy action (Rusu et al. 2015, Eq. 1; <c>DistillationLoss.NllTeacherArgmax</c>).</summary>
    Nll,

    /// <summary>Σ_a (q_S − q_T)²: the teacher's Q values themselves (Rusu et al. 2015, Eq. 2; <c>DistillationLoss.MseQ</c>).</summary>
    Mse,

    /// <summary>
    /// −Σ_a softmax(Q_E/τ)(a)·log softmax(z)(a): Actor-Mimic's policy regression onto each expert's
    /// Boltzmann policy (Parisotto et al. 2015, Eqs. 1–2; <c>DistillationLoss.PolicyRegression</c>),
    /// with optional feature regression (<c>ActorMimicFeatures</c>).
    /// </summary>
    ActorMimic,
}
