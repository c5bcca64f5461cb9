using System;
using System.Collections.Generic;
using System.Threading;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Algorithms;

/// <summary>What a host (the CLI, a notebook, a test) needs of any algorithm's trainer: step it, watch it, save it.</summary>
public interface ITrainer
{
    /// <summary>Transitions collected so far, over all environments.</summary>
    long Transitions { get; }

    /// <summary>Transitions the trainer's options ask for.</summary>
    long TargetTransitions { get; }

    /// <summary>Gradient updates made so far.</summary>
    long Updates { get; }

    /// <summary>Loss of the last update (NaN before the first).</summary>
    double LastLoss { get; }

    /// <summary>
    /// Updates whose optimizer step was skipped (in whole or in part) because a loss or gradient was
    /// NaN or ±∞; the parameters kept their values for that step. Counted within <see cref="Updates"/>.
    /// </summary>
    long SkippedUpdates { get; }

    /// <summary>Transitions that held a NaN or ±∞ and were skipped (<see cref="NonFinitePolicy.Skip"/>; under Fail the run stops instead).</summary>
    long NonFiniteTransitions { get; }

    /// <summary>Transitions not stored in replay because their vector step held a non-finite value (all environments of that step; at least <see cref="NonFiniteTransitions"/>).</summary>
    long SkippedTransitions { get; }

    /// <summary>Where the last skipped non-finite value came from (null while there has been none).</summary>
    NonFiniteValue? LastNonFinite { get; }

    /// <summary>Finished episodes: returns, lengths, termination rate.</summary>
    EpisodeStatistics Episodes { get; }

    /// <summary>Finished episodes of each task (index = task id).</summary>
    ReadOnlySpan<EpisodeStatistics> TaskEpisodes { get; }

    /// <summary>Where the training time goes, phase by phase (null, the default: nothing is timed).</summary>
    TrainingProfile? Profile { get; set; }

    /// <summary>One vector-environment step, with the updates that fall due.</summary>
    void Step();

    /// <summary>Steps until <see cref="Transitions"/> reaches <paramref name="transitions"/> (default <see cref="TargetTransitions"/>) or cancellation.</summary>
    void Train(long? transitions = null, CancellationToken cancellation = default);

    /// <summary>The learned state: parameters, target parameters, optimizer moments and counters.</summary>
    Checkpoint CreateCheckpoint();

    /// <summary>
    /// Loads the learned state of <see cref="CreateCheckpoint"/> — parameters, target parameters,
    /// optimizer moments and the algorithm's own (temperatures) — to evaluate or fine-tune a saved
    /// agent. Counters, environments and replay keep their current state.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint belongs to another agent or lacks a section.</exception>
    void Restore(Checkpoint checkpoint);

    /// <summary>
    /// The networks the trainer bound — online, target and twin copies alike — that implement
    /// <typeparamref name="TNetwork"/>, so a transfer step (a new progressive column, a PathNet
    /// pathway, frozen slices) reaches every copy.
    /// </summary>
    IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class;

    /// <summary>
    /// Draws <paramref name="slices"/> afresh from <paramref name="seed"/> in every parameter copy
    /// (online and target alike, so they agree) and clears the optimizers' moments of those slices:
    /// a re-initialised module learns as a new one would.
    /// </summary>
    void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed);

    /// <summary>
    /// Fine-tuning's start: takes the parameters of <paramref name="checkpoint"/> (another run's, or
    /// another agent's) as this fresh trainer's starting point, by <see cref="FineTune.LoadParameters"/>
    /// — whole for the same layout, else slice by slice where name and shape agree, every other slice
    /// keeping its initialisation. Targets become copies of the loaded parameters, optimizers start
    /// afresh and counters stay at zero; frozen slices (<see cref="OffPolicyOptions.Freeze"/>) stay
    /// frozen. Call it before the first <see cref="Step"/>.
    /// </summary>
    /// <returns>Which slices were loaded and which kept their initialisation.</returns>
    /// <exception cref="CheckpointException">No slice matches, or the checkpoint lacks its parameters.</exception>
    /// <exception cref="InvalidOperationException">The trainer has already stepped.</exception>
    /// <exception cref="NotSupportedException">The trainer cannot start from a checkpoint's parameters.</exception>
    FineTuneResult InitializeFrom(Checkpoint checkpoint) =>
        throw new NotSupportedException($"{GetType().Name} cannot start from a checkpoint's parameters");

    /// <summary>The replay buffer; a resumable run saves it beside each checkpoint (<see cref="ReplayBuffer.Save"/>).</summary>
    ReplayBuffer Replay { get; }

    /// <summary>
    /// Restores the whole training state a <see cref="CreateCheckpoint"/> holds — the learned state,
    /// the counters (which also fix every random stream's position), the running episodes and
    /// episode statistics, the environments' state and what task weighting learned — into a
    /// trainer built like the saved one. With its replay buffer reloaded
    /// (<see cref="ReplayBufferFile.LoadInto"/>), training then continues exactly as if it had never
    /// stopped.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint belongs to another agent or environment, lacks a section, or the environments cannot restore their state.</exception>
    void Resume(Checkpoint checkpoint);
}
