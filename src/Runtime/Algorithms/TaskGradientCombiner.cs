using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.MultiTask;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// One loss's per-task gradients combined into one update by the options' method: PCGrad with
/// the paper's shuffled orders (drawn from Philox per update), CAGrad, or GradNorm's learned task
/// weights. A trainer runs one backward pass per task between <see cref="BeginStep"/> and
/// <see cref="Apply"/>, calling <see cref="Capture"/> after each; the combined gradient is then in
/// the store for the optimizer. Each loss of an algorithm (DQN's TD loss, SAC's critic and actor
/// losses) has its own combiner, so GradNorm keeps one set of weights per loss.
/// </summary>
public sealed class TaskGradientCombiner
{
    private readonly TaskGradients _gradients;
    private readonly TaskGradientMethod _method;
    private readonly GradientReduction _reduction;
    private readonly double _caGradC;
    private readonly double _gradNormAlpha;
    private readonly double _gradNormLearningRate;
    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly double[] _initialTaskLosses;
    private readonly double[] _lossWeights;
    private readonly double[] _appliedWeights;
    private readonly double[] _weightedNorms;
    private readonly ParameterSlice? _lastSharedLayer;
    private readonly TaskGradientCombiner? _weightSource;

    /// <summary>Prepares the per-task buffers over <paramref name="slices"/> (null: every slice of the store).</summary>
    /// <param name="store">Where backward passes accumulate and the combined gradient is written.</param>
    /// <param name="tasks">Task count T.</param>
    /// <param name="options">Method, reduction and the methods' parameters, and the seed of PCGrad's orders.</param>
    /// <param name="stream">Philox stream of PCGrad's orders (one per loss).</param>
    /// <param name="accelerator">Threads of the projection kernels.</param>
    /// <param name="slices">The loss's own slices (a critic's loss is combined over the critic's).</param>
    /// <param name="gradNormWeightsFrom">
    /// With GradNorm, take the task weights another combiner learns instead of learning them here:
    /// GradNorm compares each task's loss with its first one, which needs losses that stay
    /// positive; an actor loss (α·log π − Q) does not, so actor-critic trainers weight the actor's
    /// task losses with the weights learned on the critic's squared errors.
    /// </param>
    /// <exception cref="ArgumentException">GradNorm without a shared weight matrix among the slices to balance norms on.</exception>
    public TaskGradientCombiner(ParameterStore store, int tasks, OffPolicyOptions options, ulong stream, Accelerator? accelerator = null,
        IReadOnlyList<ParameterSlice>? slices = null, TaskGradientCombiner? gradNormWeightsFrom = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Gradients == TaskGradientMethod.None) throw new ArgumentException("a combiner needs a task gradient method other than None", nameof(options));
        _gradients = new TaskGradients(store, tasks, accelerator, slices);
        _method = options.Gradients;
        _reduction = options.GradientReduction;
        _caGradC = options.CaGradC;
        _gradNormAlpha = options.GradNormAlpha;
        _gradNormLearningRate = options.GradNormLearningRate;
        _seed = options.Seed;
        _stream = stream;
        _initialTaskLosses = new double[tasks];
        _lossWeights = new double[tasks];
        _appliedWeights = new double[tasks];
        _weightedNorms = new double[tasks];
        _lossWeights.AsSpan().Fill(1.0);
        _weightSource = gradNormWeightsFrom;
        if (_method == TaskGradientMethod.GradNorm && _weightSource is null)
        {
            // GradNorm balances gradient norms on the last shared weight matrix in layout order.
            _lastSharedLayer = (slices ?? store.Layout.Slices).LastOrDefault(s => s.Owner.Kind == ParameterOwnerKind.Shared && s.Name.EndsWith(ParameterNames.WeightSuffix, StringComparison.Ordinal))
                ?? throw new ArgumentException("GradNorm needs a shared weight matrix (a slice owned Shared named '*.weight') to balance gradient norms on", nameof(store));
        }
    }

    /// <summary>Task count T.</summary>
    public int TaskCount => _lossWeights.Length;

    /// <summary>Writes what GradNorm learns over a run (each task's first loss and its weight) under <paramref name="prefix"/>.</summary>
    internal void SaveState(Checkpoint checkpoint, string prefix)
    {
        checkpoint.Integers[prefix + "initial_losses"] = Array.ConvertAll(_initialTaskLosses, BitConverter.DoubleToInt64Bits);
        checkpoint.Integers[prefix + "loss_weights"] = Array.ConvertAll(_lossWeights, BitConverter.DoubleToInt64Bits);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    /// <exception cref="CheckpointException">A section is missing or has another task count.</exception>
    internal void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var initial = checkpoint.RequireIntegers(prefix + "initial_losses", _initialTaskLosses.Length);
        var weights = checkpoint.RequireIntegers(prefix + "loss_weights", _lossWeights.Length);
        for (var t = 0; t < initial.Length; t++)
        {
            _initialTaskLosses[t] = BitConverter.Int64BitsToDouble(initial[t]);
            _lossWeights[t] = BitConverter.Int64BitsToDouble(weights[t]);
        }
    }

    /// <summary>GradNorm's current task loss weights (they sum to T); all 1 for the other methods.</summary>
    public ReadOnlySpan<double> LossWeights => _weightSource is null ? _lossWeights : _weightSource.LossWeights;

    /// <summary>Zeroes the store's gradients for task 0's backward pass.</summary>
    public void BeginStep() => _gradients.BeginStep();

    /// <summary>Takes the store's gradients as task <paramref name="task"/>'s and zeroes them for the next task (call for every task, even one without rows).</summary>
    public void Capture(int task) => _gradients.Capture(task);

    /// <summary>
    /// Writes the combined gradient into the store. <paramref name="taskRows"/> and
    /// <paramref name="taskLosses"/> (mean loss per task) matter to GradNorm only, whose weights
    /// move in updates where every task has rows; <paramref name="update"/> numbers the update,
    /// which picks PCGrad's orders.
    /// </summary>
    public void Apply(ReadOnlySpan<int> taskRows, ReadOnlySpan<double> taskLosses, long update)
    {
        switch (_method)
        {
            case TaskGradientMethod.PcGrad:
                var counters = PcGradOrders.CountersUsed(TaskCount);
                _gradients.ApplyPcGrad(_reduction, _seed, _stream, (ulong)update * counters);
                break;
            case TaskGradientMethod.CaGrad:
                _gradients.ApplyCaGrad(_caGradC, _reduction);
                break;
            default:
                ApplyGradNorm(taskRows, taskLosses);
                break;
        }
    }

    /// <summary>
    /// Applies Σᵢ wᵢ·gᵢ with the current weights (÷T for a mean), then moves the weights by one
    /// GradNorm step for the next update. The weights move only in updates where every task has
    /// rows and a first loss to compare with.
    /// </summary>
    private void ApplyGradNorm(ReadOnlySpan<int> taskRows, ReadOnlySpan<double> taskLosses)
    {
        var tasks = TaskCount;
        var scale = _reduction == GradientReduction.Mean ? 1.0 / tasks : 1.0;
        if (_weightSource is not null)
        {
            var weights = _weightSource.LossWeights;
            for (var t = 0; t < tasks; t++) _appliedWeights[t] = weights[t] * scale;
            _gradients.ApplyWeighted(_appliedWeights);
            return;
        }
        for (var t = 0; t < tasks; t++) _appliedWeights[t] = _lossWeights[t] * scale;
        var complete = true;
        for (var t = 0; t < tasks; t++)
        {
            var norm = (double)TensorPrimitives.Norm(_gradients.SharedGradientOf(t, _lastSharedLayer!));
            _weightedNorms[t] = _lossWeights[t] * norm;
            // A NaN or ∞ gradient (the optimizer skips that step) must not move the weights: they would stay NaN for good.
            if (!double.IsFinite(norm) || !double.IsFinite(taskLosses[t])) complete = false;
            if (taskRows[t] == 0) complete = false;
            else if (!(_initialTaskLosses[t] > 0)) _initialTaskLosses[t] = taskLosses[t];
            complete &= _initialTaskLosses[t] > 0;
        }
        _gradients.ApplyWeighted(_appliedWeights);
        if (complete)
        {
            GradNorm.UpdateWeights(_lossWeights, _weightedNorms, _initialTaskLosses, taskLosses, _gradNormAlpha, _gradNormLearningRate);
        }
    }
}
