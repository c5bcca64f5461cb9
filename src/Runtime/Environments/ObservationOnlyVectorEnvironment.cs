using System;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// A continuous environment presented without its goal interface: it implements
/// <see cref="IContinuousVectorEnvironment"/> only, so a trainer that looks for
/// <see cref="IGoalVectorEnvironment"/> stores no goal rows and feeds no goal input. For agents
/// that read the goal from the observation, such as PointMass with
/// <see cref="PointMassOptions.GoalInObservation"/>.
/// </summary>
/// <remarks>
/// Reset, Step and the buffers are the wrapped environment's own; nothing is copied. The goal
/// buffers of <see cref="Buffers"/> are still written, but hindsight relabeling is not available
/// through this view (relabeling would have to rewrite the goal inside the observation too).
/// Saving and restoring state is the wrapped environment's too, under the same names, so a
/// checkpoint of the view and one of the bare environment are interchangeable; it throws
/// <see cref="NotSupportedException"/> when the wrapped environment is not
/// <see cref="IResumableEnvironment"/> (see <see cref="IsResumable"/>).
/// </remarks>
public sealed class ObservationOnlyVectorEnvironment : IContinuousVectorEnvironment, IResumableEnvironment
{
    private readonly IContinuousVectorEnvironment _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The environment to step.</param>
    public ObservationOnlyVectorEnvironment(IContinuousVectorEnvironment inner)
        => _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped environment.</summary>
    public IContinuousVectorEnvironment Inner => _inner;

    /// <summary>Whether <see cref="SaveState"/> and <see cref="RestoreState"/> work: the wrapped environment is <see cref="IResumableEnvironment"/>.</summary>
    public bool IsResumable => _inner is IResumableEnvironment;

    /// <inheritdoc />
    public int EnvironmentCount => _inner.EnvironmentCount;

    /// <inheritdoc />
    public int ObservationSize => _inner.ObservationSize;

    /// <inheritdoc />
    public ActionSpace ActionSpace => _inner.ActionSpace;

    /// <inheritdoc />
    public int TaskCount => _inner.TaskCount;

    /// <inheritdoc />
    public SuccessSignal SuccessSignal => _inner.SuccessSignal;

    /// <inheritdoc />
    public VectorStepBuffers Buffers => _inner.Buffers;

    /// <inheritdoc />
    public ulong Seed => _inner.Seed;

    /// <inheritdoc />
    public void Reset(ulong seed) => _inner.Reset(seed);

    /// <inheritdoc />
    public void Step(ReadOnlySpan<float> actions) => _inner.Step(actions);

    /// <summary>Saves the wrapped environment's state.</summary>
    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The wrapped environment is not <see cref="IResumableEnvironment"/>.</exception>
    public void SaveState(Checkpoint checkpoint, string prefix) => Resumable().SaveState(checkpoint, prefix);

    /// <summary>Restores the wrapped environment's state.</summary>
    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The wrapped environment is not <see cref="IResumableEnvironment"/>.</exception>
    public void RestoreState(Checkpoint checkpoint, string prefix) => Resumable().RestoreState(checkpoint, prefix);

    private IResumableEnvironment Resumable() => _inner as IResumableEnvironment
        ?? throw new NotSupportedException($"the wrapped {_inner.GetType().Name} does not implement IResumableEnvironment, so its state cannot be saved or restored");
}
