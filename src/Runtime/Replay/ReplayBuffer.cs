using System;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// A multi-task, episodic replay ring for off-policy learning: many parallel environments add one
/// transition each per step, every env into its own episode; samplers draw uniformly, with equal
/// shares per task, or in proportion to priorities, and hindsight relabeling rewrites goals of a
/// sampled batch in place. Storage is struct-of-arrays (<see cref="ReplayBufferOptions"/>), batches
/// are preallocated (<see cref="ReplayBatch"/>), and every random choice comes from the Philox
/// counter generator, so a batch depends on (seed, stream, counter) only — not on the thread count.
/// </summary>
/// <remarks>
/// Episode bookkeeping follows stable-baselines3's HerReplayBuffer: a transition is sampleable
/// only once its episode has ended, and stops being sampleable, together with the whole rest of its
/// episode, when the ring overwrites the episode's first step. All samplers (not only HER) use
/// that rule, so every sampler sees the same population. See docs/replay.md. Not thread-safe:
/// one thread adds and samples (the kernels themselves run on the accelerator's threads).
/// </remarks>
public sealed class ReplayBuffer
{
    private readonly Accelerator _accelerator;
    private readonly TransitionStore _store;
    private readonly EpisodeLedger _ledger;
    private readonly PriorityIndex? _priorities;
    private readonly int[] _envPrefix;
    private readonly int[] _taskEnvPrefix;

    // Changes whenever slots or episodes change, so a batch can tell it is stale.
    private long _version;

    /// <summary>Allocates a buffer (all storage up front) of the given shape.</summary>
    /// <param name="options">Capacity, widths, tasks and sampling options; validated here.</param>
    /// <param name="accelerator">Runs the sampling kernels; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public ReplayBuffer(ReplayBufferOptions options, Accelerator? accelerator = null)
        : this(options, accelerator, slotRecords: true)
    {
    }

    /// <summary>Allocates a buffer; <paramref name="slotRecords"/> false keeps no slot records even where they fit (tests compare both gathers).</summary>
    internal ReplayBuffer(ReplayBufferOptions options, Accelerator? accelerator, bool slotRecords)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _accelerator = accelerator ?? CpuAccelerator.Default;
        _store = new TransitionStore(options, slotRecords);
        _priorities = options.Prioritized ? new PriorityIndex(options, _store) : null;
        _ledger = new EpisodeLedger(options, _store, _priorities);
        _envPrefix = new int[options.EnvCount + 1];
        _taskEnvPrefix = new int[options.TaskCount * (options.EnvCount + 1)];
    }

    /// <summary>The buffer's shape.</summary>
    public ReplayBufferOptions Options { get; }

    /// <summary>Rows of the ring (capacity / envs); each env's transitions run down one column.</summary>
    public int Rows => Options.Rows;

    /// <summary>Transitions currently stored (sampleable or not).</summary>
    public int Count => _ledger.FilledRows * Options.EnvCount;

    /// <summary>Transitions that samplers may return: those of finished episodes whose first step is still stored.</summary>
    public int SampleableCount => _ledger.SampleableCount;

    /// <summary>Vector-env steps added over the buffer's life (kept across save and load).</summary>
    public long StepsAdded { get; private set; }

    /// <summary>The row the next <see cref="Add"/> writes.</summary>
    public int Position => _ledger.Position;

    /// <summary>
    /// Next Philox counter of the samplers; each sample or relabel call uses one counter per batch
    /// row and advances it by the batch size. Saved with the buffer so sampling resumes exactly.
    /// </summary>
    public ulong RandomCounter { get; private set; }

    /// <summary>Read-only views of the storage, for custom kernels and inspection.</summary>
    public TransitionColumns Columns => _store.Columns;

    /// <summary>Read-only views of the episode bookkeeping (SB3's ep_start / ep_length and the per-env sampleable runs).</summary>
    public EpisodeIndex Episodes => _ledger.Index;

    /// <summary>Largest priority seen so far (new episodes enter with it); 1 before any update, NaN without priorities.</summary>
    public double MaxPriority => _priorities?.MaxPriority ?? double.NaN;

    internal TransitionStore Store => _store;

    internal EpisodeLedger Ledger => _ledger;

    internal PriorityIndex? Priorities => _priorities;

    /// <summary>Balanced sampling calls so far; rotates which tasks receive the remainder rows.</summary>
    internal long BalancedCalls { get; private set; }

    /// <summary>Sampleable transitions of one task.</summary>
    /// <param name="task">Task id in [0, TaskCount).</param>
    public int SampleableCountOf(int task)
    {
        if ((uint)task >= (uint)Options.TaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {Options.TaskCount})");
        }

        return _ledger.TaskCounts[task];
    }

    /// <summary>A batch of <paramref name="size"/> rows shaped for this buffer.</summary>
    /// <param name="size">Rows; at least 1 (sampling is with replacement, so it may exceed the buffer's contents).</param>
    /// <param name="layout">Whether compact observation and goal fields arrive decoded to floats (default) or in their stored encoding.</param>
    public ReplayBatch CreateBatch(int size, BatchLayout layout = BatchLayout.Decoded) => new(Options, size, layout);

    /// <summary>
    /// Adds one transition per env (one vector-env step). Episodes end at a step with terminated or
    /// truncated set; the env's next transition starts a new episode.
    /// </summary>
    /// <param name="step">The step; every span must match the buffer's env count and widths.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, a task id is out of range,
    /// or an env's task changed in the middle of an episode.</exception>
    /// <exception cref="NonFiniteDataException">An observation, action, reward or goal is NaN or ±∞:
    /// a buffer never stores one (the training loop's data-quality policy decides before it gets here).</exception>
    public void Add(in ReplayStep step)
    {
        Validate(step);
        _ledger.BeginRow();
        _store.Write(_ledger.Position, step);
        _ledger.EndRow(step.Terminated, step.Truncated);
        StepsAdded++;
        _version++;
    }

    /// <summary>
    /// Ends every unfinished episode at its last stored step, marking that step truncated, so the
    /// episodes become sampleable (SB3's <c>truncate_last_trajectory</c>): for a buffer loaded to
    /// continue training with fresh environments.
    /// </summary>
    public void TruncateUnfinishedEpisodes()
    {
        int last = _ledger.Position == 0 ? Rows - 1 : _ledger.Position - 1;
        for (int env = 0; env < Options.EnvCount; env++)
        {
            if (_ledger.CurrentLengths[env] > 0)
            {
                _store.SetTruncated((last * Options.EnvCount) + env);
                _ledger.FinishEpisode(env);
            }
        }

        _version++;
    }

    /// <summary>
    /// Ends env <paramref name="env"/>'s unfinished episode at its last stored step, marking that step
    /// truncated (bootstrap from its next observation), so the steps stored so far become
    /// sampleable and the env's next transition starts a new episode: what the training loop does
    /// for an env whose episode ended in a vector step it did not store. Nothing happens when the
    /// env has no unfinished steps.
    /// </summary>
    /// <param name="env">The env column, in [0, EnvCount).</param>
    public void TruncateEpisode(int env)
    {
        if ((uint)env >= (uint)Options.EnvCount)
        {
            throw new ArgumentOutOfRangeException(nameof(env), env, $"env must be in [0, {Options.EnvCount})");
        }

        if (_ledger.CurrentLengths[env] == 0)
        {
            return;
        }

        int last = _ledger.Position == 0 ? Rows - 1 : _ledger.Position - 1;
        _store.SetTruncated((last * Options.EnvCount) + env);
        _ledger.FinishEpisode(env);
        _version++;
    }

    /// <summary>Fills <paramref name="batch"/> with transitions drawn uniformly (with replacement) from all sampleable ones.</summary>
    /// <param name="batch">A batch made for this buffer's shape.</param>
    /// <exception cref="InvalidOperationException">No episode has finished yet.</exception>
    public void SampleUniform(ReplayBatch batch)
    {
        CheckBatch(batch);
        RequireData();
        var selector = new UniformSlotSelector(_ledger.Index, EnvPrefix(), Options.Seed, Options.Stream, Reserve(batch.Size));
        TransitionGather.Gather(_store.Columns, batch.Columns, selector, _accelerator);
        Finish(batch, grouped: false);
        batch.Weights.AsSpan().Fill(1f);
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with equal shares per task, rows grouped by task (see
    /// <see cref="ReplayBatch.TaskRowStarts"/>): each task with sampleable transitions gets
    /// ⌊size / A⌋ rows drawn uniformly from its own transitions, A being the number of such tasks;
    /// the size mod A remaining rows go to consecutive tasks, starting one further on each call.
    /// Tasks without sampleable transitions get no rows.
    /// </summary>
    /// <param name="batch">A batch made for this buffer's shape.</param>
    /// <exception cref="InvalidOperationException">No episode has finished yet.</exception>
    public void SampleBalanced(ReplayBatch batch)
    {
        CheckBatch(batch);
        RequireData();
        int tasks = Options.TaskCount;
        int envs = Options.EnvCount;
        SplitIntoTaskShares(batch);
        for (int t = 0; t < tasks; t++)
        {
            Span<int> prefix = _taskEnvPrefix.AsSpan(t * (envs + 1), envs + 1);
            ReadOnlySpan<int> counts = _ledger.TaskEnvCounts.AsSpan(t * envs, envs);
            prefix[0] = 0;
            for (int env = 0; env < envs; env++)
            {
                prefix[env + 1] = prefix[env] + counts[env];
            }
        }

        var selector = new TaskBalancedSlotSelector(
            _ledger.Index, _store.TaskIds, batch.TaskRowStarts, _taskEnvPrefix, Options.Seed, Options.Stream, Reserve(batch.Size));
        TransitionGather.Gather(_store.Columns, batch.Columns, selector, _accelerator);
        Finish(batch, grouped: true);
        batch.Weights.AsSpan().Fill(1f);
    }

    /// <summary>
    /// Fills <paramref name="batch"/> by proportional prioritized sampling (stratified over the
    /// total priority mass) and writes importance weights (n·P(i))^−β divided by the batch's largest
    /// weight into <see cref="ReplayBatch.Weights"/>.
    /// </summary>
    /// <param name="batch">A batch made for this buffer's shape.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1] (PER anneals it from 0.4 to 1).</param>
    /// <exception cref="InvalidOperationException">The buffer was created without priorities, or no episode has finished yet.</exception>
    public void SamplePrioritized(ReplayBatch batch, float beta)
    {
        CheckBatch(batch);
        PriorityIndex priorities = _priorities ?? throw new InvalidOperationException(
            "this buffer keeps no priorities: create it with ReplayBufferOptions.Prioritized = true");
        if (!(beta >= 0f && beta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1]");
        }

        RequireData();
        var selector = new ProportionalSlotSelector(
            priorities.Tree, SampleableCount, beta, batch.Weights, Options.Seed, Options.Stream, Reserve(batch.Size));
        TransitionGather.Gather(_store.Columns, batch.Columns, selector, _accelerator);
        Finish(batch, grouped: false);
        DivideByLargestWeight(batch);
    }

    /// <summary>
    /// Task-balanced prioritized sampling: every task with sampleable transitions gets an equal
    /// share of the rows (as <see cref="SampleBalanced"/>, rows grouped by task), drawn within the
    /// task proportionally to priority (stratified over the task's mass). A row from task t with
    /// share Bₜ has probability q = (Bₜ/B)·pᵢ/Σₜp; its importance weight (n·q)^−β, n being all
    /// sampleable slots, is divided by the batch's largest, as in <see cref="SamplePrioritized"/>.
    /// </summary>
    /// <param name="batch">A batch made for this buffer's shape.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1].</param>
    /// <exception cref="InvalidOperationException">The buffer keeps no per-task priorities, or no episode has finished yet.</exception>
    public void SamplePrioritizedBalanced(ReplayBatch batch, float beta)
    {
        CheckBatch(batch);
        PriorityIndex priorities = _priorities is { TaskTrees: not null } p ? p : throw new InvalidOperationException(
            "this buffer keeps no per-task priorities: create it with ReplayBufferOptions.Prioritized and TaskBalancedPriorities = true");
        if (!(beta >= 0f && beta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1]");
        }

        RequireData();
        SplitIntoTaskShares(batch);
        var selector = new TaskProportionalSlotSelector(
            priorities.TaskTrees, priorities.TreeLength, batch.TaskRowStarts, SampleableCount, beta, batch.Weights, Options.Seed, Options.Stream, Reserve(batch.Size));
        TransitionGather.Gather(_store.Columns, batch.Columns, selector, _accelerator);
        Finish(batch, grouped: true);
        DivideByLargestWeight(batch);
    }

    /// <summary>
    /// Sets new priorities (typically |TD error|) for sampled slots; ε is added, and the largest
    /// value becomes the priority of transitions that finish later. Slots that stopped being
    /// sampleable since they were drawn (overwritten) are skipped.
    /// </summary>
    /// <param name="slots">Slots from <see cref="ReplayBatch.Slots"/>.</param>
    /// <param name="priorities">One finite priority ≥ 0 per slot.</param>
    public void UpdatePriorities(ReadOnlySpan<int> slots, ReadOnlySpan<float> priorities)
    {
        PriorityIndex index = _priorities ?? throw new InvalidOperationException(
            "this buffer keeps no priorities: create it with ReplayBufferOptions.Prioritized = true");
        if (slots.Length != priorities.Length)
        {
            throw new ArgumentException($"priorities must hold one value per slot ({slots.Length}), got {priorities.Length}", nameof(priorities));
        }

        for (int i = 0; i < slots.Length; i++)
        {
            if ((uint)slots[i] >= (uint)Options.Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(slots), slots[i], $"slots must be in [0, {Options.Capacity})");
            }

            if (!(priorities[i] >= 0f) || float.IsInfinity(priorities[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(priorities), priorities[i], "priorities must be finite numbers ≥ 0");
            }
        }

        for (int i = 0; i < slots.Length; i++)
        {
            if (_ledger.EpisodeLengths[slots[i]] > 0)
            {
                index.Update(slots[i], priorities[i]);
            }
        }
    }

    /// <summary>
    /// SB3's HER sample: a uniform batch whose last ⌊size·k/(k+1)⌋ rows are relabeled, in one pass
    /// over the batch; the result equals <see cref="SampleUniform"/> followed by
    /// <see cref="Relabel{TReward}"/>.
    /// </summary>
    /// <typeparam name="TReward">The environment's goal reward; a struct is specialised by the JIT.</typeparam>
    /// <param name="batch">A batch made for this buffer's shape.</param>
    /// <param name="her">Strategy and k.</param>
    /// <param name="reward">Recomputes rewards (and termination) of relabeled rows.</param>
    /// <exception cref="InvalidOperationException">The buffer has no goals, or no episode has finished yet.</exception>
    public void SampleHer<TReward>(ReplayBatch batch, HerOptions her, TReward reward)
        where TReward : IGoalReward
    {
        if (reward is null)
        {
            throw new ArgumentNullException(nameof(reward));
        }

        her.Validate();
        RequireGoals();
        CheckBatch(batch);
        RequireData();
        ulong sampleCounter = Reserve(batch.Size);
        HindsightGoals goals = Plan(batch, her);
        var selector = new UniformSlotSelector(_ledger.Index, EnvPrefix(), Options.Seed, Options.Stream, sampleCounter);
        Finish(batch, grouped: false);
        TransitionGather.Gather(_store.Columns, batch.Columns, selector, goals, _accelerator);
        batch.Weights.AsSpan().Fill(1f);
        RecomputeRewards(batch, goals.FirstRow, reward);
    }

    /// <summary>
    /// Relabels the last ⌊size·k/(k+1)⌋ rows of a batch just sampled from this buffer (by any
    /// sampler): each gets as desired goal the next achieved goal of a step of its own episode
    /// chosen by the strategy, and its reward — and termination, if the goal reward defines it —
    /// recomputed from its next achieved goal and the new goal. Storage is not touched.
    /// </summary>
    /// <typeparam name="TReward">The environment's goal reward; a struct is specialised by the JIT.</typeparam>
    /// <param name="batch">A batch filled by this buffer with no <see cref="Add"/> since.</param>
    /// <param name="her">Strategy and k.</param>
    /// <param name="reward">Recomputes rewards (and termination) of relabeled rows.</param>
    /// <exception cref="InvalidOperationException">The buffer has no goals, or the batch is stale.</exception>
    public void Relabel<TReward>(ReplayBatch batch, HerOptions her, TReward reward)
        where TReward : IGoalReward
    {
        if (reward is null)
        {
            throw new ArgumentNullException(nameof(reward));
        }

        her.Validate();
        RequireGoals();
        CheckBatch(batch);
        if (!ReferenceEquals(batch.SampledFrom.Buffer, this) || batch.SampledFrom.Version != _version)
        {
            throw new InvalidOperationException(
                "relabel a batch right after sampling it from this buffer: slots may have been overwritten since");
        }

        HindsightGoals goals = Plan(batch, her);
        HerRelabel.Relabel(goals, _store.Columns, batch.Columns, _accelerator);
        batch.GoalSlots.AsSpan(0, goals.FirstRow).Fill(-1);
        RecomputeRewards(batch, goals.FirstRow, reward);
    }

    /// <summary>Saves the whole buffer (storage, bookkeeping, priorities, RNG counter) atomically; see <see cref="ReplayBufferFile"/>.</summary>
    /// <param name="path">Target file; replaced atomically.</param>
    public void Save(string path) => ReplayBufferFile.Save(path, this);

    /// <summary>Restores the state read from a file into this freshly allocated buffer (used by <see cref="ReplayBufferFile"/>).</summary>
    internal void RestoreCounters(long stepsAdded, ulong randomCounter, long balancedCalls)
    {
        StepsAdded = stepsAdded;
        RandomCounter = randomCounter;
        BalancedCalls = balancedCalls;
    }

    /// <summary>The relabeling plan for a batch: its last ⌊size·k/(k+1)⌋ rows, on the next counters.</summary>
    private HindsightGoals Plan(ReplayBatch batch, HerOptions her) => new()
    {
        Episodes = _ledger.Index,
        Strategy = her.Strategy,
        FirstRow = batch.Size - HerGoalSelection.RelabeledCount(batch.Size, her.GoalsPerTransition),
        GoalSlots = batch.GoalSlots,
        Seed = Options.Seed,
        Stream = Options.Stream,
        Counter = Reserve(batch.Size),
    };

    /// <summary>
    /// Rewards (and termination) of the relabeled rows, in one call to the goal reward: on the packed
    /// goal rows when goals are stored as bits and the reward is an <see cref="IBitGoalReward"/>,
    /// else on the float rows.
    /// </summary>
    private void RecomputeRewards<TReward>(ReplayBatch batch, int first, TReward reward)
        where TReward : IGoalReward
    {
        int g = Options.GoalWidth;
        int rows = batch.Size - first;
        if (rows > 0)
        {
            Span<float> rewards = batch.Rewards.AsSpan(first, rows);
            Span<float> terminated = batch.Terminated.AsSpan(first, rows);
            ColumnElementType goalType = Options.GoalElementType;
            int rowBytes = batch.EncodedNextAchievedGoals.Length == 0 ? 0 : ColumnEncoding.RowBytes(goalType, g);
            ReadOnlySpan<byte> encodedAchieved = batch.EncodedNextAchievedGoals.AsSpan(first * rowBytes, rows * rowBytes);
            ReadOnlySpan<byte> encodedDesired = batch.EncodedDesiredGoals.AsSpan(first * rowBytes, rows * rowBytes);
            bool packed = goalType == ColumnElementType.Bit;
            if (packed && PackedGoalRewardCall<TReward>.Invoke is { } packedReward)
            {
                packedReward(ref reward, encodedAchieved, encodedDesired, g, rewards, terminated);
            }
            else if (packed && !typeof(TReward).IsValueType && reward is IBitGoalReward bitReward)
            {
                bitReward.ComputePacked(encodedAchieved, encodedDesired, g, rewards, terminated);
            }
            else if (batch.DesiredGoals.Length == 0)
            {
                // Goals stayed encoded and the reward needs floats: decode the relabeled rows first.
                Span<float> achieved = batch.RewardAchievedGoals.AsSpan(0, rows * g);
                Span<float> desired = batch.RewardDesiredGoals.AsSpan(0, rows * g);
                ColumnEncoding.Decode(goalType, encodedAchieved, g, achieved);
                ColumnEncoding.Decode(goalType, encodedDesired, g, desired);
                reward.Compute(achieved, desired, g, rewards, terminated);
            }
            else
            {
                reward.Compute(batch.NextAchievedGoals.AsSpan(first * g, rows * g), batch.DesiredGoals.AsSpan(first * g, rows * g), g, rewards, terminated);
            }
        }

        batch.RelabeledStart = first;
    }

    /// <summary>Cumulative sampleable counts per env, for the uniform selector.</summary>
    private int[] EnvPrefix()
    {
        _envPrefix[0] = 0;
        for (int env = 0; env < Options.EnvCount; env++)
        {
            _envPrefix[env + 1] = _envPrefix[env] + _ledger.ValidCounts[env];
        }

        return _envPrefix;
    }

    private ulong Reserve(int rows)
    {
        ulong counter = RandomCounter;
        RandomCounter += (ulong)rows;
        return counter;
    }

    /// <summary>Task-balanced shares of the batch's rows into <see cref="ReplayBatch.TaskRowStarts"/>, the remainder rotating from call to call.</summary>
    private void SplitIntoTaskShares(ReplayBatch batch)
    {
        int active = 0;
        foreach (int count in _ledger.TaskCounts)
        {
            active += count > 0 ? 1 : 0;
        }

        int remainder = batch.Size % active;
        int rotation = (int)((ulong)BalancedCalls * (ulong)remainder % (ulong)active);
        BalancedShares.Split(batch.Size, _ledger.TaskCounts, rotation, batch.TaskRowStarts);
        BalancedCalls++;
    }

    /// <summary>Importance weights divided by the batch's largest (Dopamine's and rlax's normalisation).</summary>
    private static void DivideByLargestWeight(ReplayBatch batch)
    {
        float max = 0f;
        foreach (float weight in batch.Weights)
        {
            max = Math.Max(max, weight);
        }

        for (int i = 0; i < batch.Weights.Length; i++)
        {
            batch.Weights[i] /= max;
        }
    }

    private void Finish(ReplayBatch batch, bool grouped)
    {
        batch.GoalSlots.AsSpan().Fill(-1);
        batch.RelabeledStart = batch.Size;
        batch.IsGroupedByTask = grouped;
        batch.SampledFrom = (this, _version);
    }

    private void RequireData()
    {
        if (_ledger.SampleableCount == 0)
        {
            throw new InvalidOperationException(
                "no sampleable transition yet: only finished episodes are sampled, so add steps until at least one episode has ended");
        }
    }

    private void RequireGoals()
    {
        if (Options.GoalWidth == 0)
        {
            throw new InvalidOperationException("hindsight relabeling needs goals: create the buffer with ReplayBufferOptions.GoalWidth > 0");
        }
    }

    private void CheckBatch(ReplayBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ReplayBufferOptions b = batch.Options;
        if (b.ObservationWidth != Options.ObservationWidth || b.ActionWidth != Options.ActionWidth
            || b.DiscreteActions != Options.DiscreteActions || b.GoalWidth != Options.GoalWidth || b.TaskCount != Options.TaskCount)
        {
            throw new ArgumentException(
                $"the batch was made for observation width {b.ObservationWidth}, action width {b.ActionWidth} ({(b.DiscreteActions ? "discrete" : "continuous")}), goal width {b.GoalWidth}, {b.TaskCount} tasks; "
                + $"this buffer has {Options.ObservationWidth}, {Options.ActionWidth} ({(Options.DiscreteActions ? "discrete" : "continuous")}), {Options.GoalWidth}, {Options.TaskCount}",
                nameof(batch));
        }

        if (b.ObservationElementType != Options.ObservationElementType || b.GoalElementType != Options.GoalElementType)
        {
            throw new ArgumentException(
                $"the batch was made for ObservationElementType {b.ObservationElementType} and GoalElementType {b.GoalElementType}; this buffer stores "
                + $"{Options.ObservationElementType} and {Options.GoalElementType}: make the batch with this buffer's CreateBatch",
                nameof(batch));
        }
    }

    private void Validate(in ReplayStep step)
    {
        int n = Options.EnvCount;
        int o = Options.ObservationWidth;
        int a = Options.ActionWidth;
        int g = Options.GoalWidth;
        Length(step.Observations.Length, n, o, "Observations", "envs × observation width");
        Length(step.NextObservations.Length, n, o, "NextObservations", "envs × observation width");
        if (Options.DiscreteActions)
        {
            Length(step.DiscreteActions.Length, n, a, "DiscreteActions", "envs × action width");
            Length(step.Actions.Length, 0, "Actions", "nothing for a discrete-action buffer,");
        }
        else
        {
            Length(step.Actions.Length, n, a, "Actions", "envs × action width");
            Length(step.DiscreteActions.Length, 0, "DiscreteActions", "nothing for a continuous-action buffer,");
        }

        Length(step.Rewards.Length, n, "Rewards", "one reward per env");
        Length(step.Terminated.Length, n, "Terminated", "one flag per env");
        Length(step.Truncated.Length, n, "Truncated", "one flag per env");
        Length(step.AchievedGoals.Length, n, g, "AchievedGoals", "envs × goal width");
        Length(step.NextAchievedGoals.Length, n, g, "NextAchievedGoals", "envs × goal width");
        Length(step.DesiredGoals.Length, n, g, "DesiredGoals", "envs × goal width");
        if (!step.TaskIds.IsEmpty)
        {
            Length(step.TaskIds.Length, n, "TaskIds", "one task id per env, or nothing for all task 0,");
        }

        Finite(step.Observations, o, step.TaskIds, "observation");
        Finite(step.NextObservations, o, step.TaskIds, "next observation");
        Finite(step.Actions, a, step.TaskIds, "action");
        Finite(step.Rewards, 1, step.TaskIds, "reward");
        Finite(step.AchievedGoals, g, step.TaskIds, "achieved goal");
        Finite(step.NextAchievedGoals, g, step.TaskIds, "next achieved goal");
        Finite(step.DesiredGoals, g, step.TaskIds, "desired goal");
        Storable(step.Observations, Options.ObservationElementType, "Observations", nameof(ReplayBufferOptions.ObservationElementType));
        Storable(step.NextObservations, Options.ObservationElementType, "NextObservations", nameof(ReplayBufferOptions.ObservationElementType));
        Storable(step.AchievedGoals, Options.GoalElementType, "AchievedGoals", nameof(ReplayBufferOptions.GoalElementType));
        Storable(step.NextAchievedGoals, Options.GoalElementType, "NextAchievedGoals", nameof(ReplayBufferOptions.GoalElementType));
        Storable(step.DesiredGoals, Options.GoalElementType, "DesiredGoals", nameof(ReplayBufferOptions.GoalElementType));
        for (int env = 0; env < n; env++)
        {
            int task = step.TaskIds.IsEmpty ? 0 : step.TaskIds[env];
            if ((uint)task >= (uint)Options.TaskCount)
            {
                throw new ArgumentOutOfRangeException(nameof(step), task, $"step.TaskIds[{env}] is {task}; task ids must be in [0, {Options.TaskCount})");
            }

            if (_ledger.CurrentLengths[env] > 0 && _ledger.CurrentTasks[env] != task)
            {
                throw new ArgumentException(
                    $"step.TaskIds[{env}] changed from {_ledger.CurrentTasks[env]} to {task} in the middle of an episode; an env may switch tasks only after a terminated or truncated step",
                    nameof(step));
            }
        }
    }

    /// <summary>Refuses NaN and ±∞ in a float field, naming the env, its task and the element.</summary>
    private void Finite(ReadOnlySpan<float> values, int width, ReadOnlySpan<int> taskIds, string field)
    {
        if (NonFinite.Find(values, width, taskIds, "replay insert", field, StepsAdded) is { } bad)
        {
            throw new NonFiniteDataException(bad, $"cannot store a non-finite value in the replay buffer: {bad}; a transition with NaN or infinity would poison every update that samples it");
        }
    }

    private static void Storable(ReadOnlySpan<float> values, ColumnElementType type, string field, string option)
    {
        int bad = ColumnEncoding.IndexOfUnstorable(type, values);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"step.{field}[{bad}] is {values[bad]}, but this buffer stores {field} as {type} ({option}), which holds only {ColumnEncoding.AllowedValues(type)}; "
                + $"use {ColumnElementType.Float32} for other values",
                "step");
        }
    }

    private static void Length(int actual, int expected, string field, string what)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"step.{field} must hold {what} = {expected} elements, got {actual}", "step");
        }
    }

    // Rows × width: the message (and its string) is made only when the length is wrong.
    private static void Length(int actual, int rows, int width, string field, string what)
    {
        if (actual != rows * width)
        {
            Length(actual, rows * width, field, $"{what} = {rows} × {width}");
        }
    }
}
