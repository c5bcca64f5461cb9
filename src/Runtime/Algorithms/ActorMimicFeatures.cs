using System;
using System.Collections.Generic;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Actor-Mimic's feature regression (Parisotto et al. 2015, Eq. 3) for a
/// <see cref="DistillationTrainer"/>: the student predicts each expert's hidden features from its
/// own, and the squared error, weighted by <see cref="DistillationOptions.FeatureWeight"/>, is
/// added to the policy loss.
/// </summary>
/// <remarks>
/// The predictor is bound to the student's parameter store, so its backward pass reaches the
/// student's body: build it from the student's layout as the student's own body followed by a
/// regression head (the paper's f_i; per task when the head reads task ids). The teachers' feature
/// networks only run forward, each row by its task's teacher, as the teachers' Q networks do.
/// </remarks>
public sealed class ActorMimicFeatures
{
    /// <summary>Pairs the student's feature predictor with the teachers' features.</summary>
    /// <param name="createPredictor">Binds the student's predictor f(h_AMN(s)) to the student's store with room for a batch size.</param>
    /// <param name="teachers">h_E: one feature network per task (teacher t answers for task t), or one for all tasks; all of the predictor's width.</param>
    /// <exception cref="ArgumentException">No teacher, or a null one.</exception>
    public ActorMimicFeatures(Func<ParameterStore, int, IFeatureNetwork> createPredictor, IReadOnlyList<IFeatureNetwork> teachers)
    {
        ArgumentNullException.ThrowIfNull(createPredictor);
        ArgumentNullException.ThrowIfNull(teachers);
        if (teachers.Count == 0) throw new ArgumentException("Actor-Mimic's feature regression needs at least one teacher feature network", nameof(teachers));
        for (var t = 0; t < teachers.Count; t++)
        {
            if (teachers[t] is null) throw new ArgumentException($"teacher feature network {t} is null", nameof(teachers));
        }
        CreatePredictor = createPredictor;
        Teachers = teachers;
    }

    /// <summary>Binds the student's feature predictor to a store with room for a batch size.</summary>
    public Func<ParameterStore, int, IFeatureNetwork> CreatePredictor { get; }

    /// <summary>The teachers' feature networks: one per task, or one for all tasks.</summary>
    public IReadOnlyList<IFeatureNetwork> Teachers { get; }
}
