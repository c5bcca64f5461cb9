using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Replay;

using Mtrl.Runtime.Profiling;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// What every off-policy trainer does around its update (stable-baselines3's
/// <c>collect_rollouts</c> and the scheduling half of <c>train</c>): it copies each vector step's
/// observations, goals and task ids before the agent acts, steps the environments, stores the
/// transitions, keeps episode statistics over all tasks and per task, counts transitions and
/// says how many updates fall due; and it draws batches from replay the way the options ask
/// (uniform, task-balanced or prioritized, with hindsight relabeling). The algorithm chooses
/// actions and makes the updates. It is also the data-quality boundary: every step's
/// observations, goals, rewards and (continuous) actions are checked for NaN and ±∞ with one SIMD
/// pass per field, and a value found fails the run or is skipped and counted, as
/// <see cref="OffPolicyOptions.NonFinite"/> says. Nothing here allocates after construction
/// (except the report of a non-finite value).
/// </summary>
public sealed class OffPolicyLoop
{
    private readonly IVectorEnvironment _environment;
    private readonly IGoalVectorEnvironment? _goalEnvironment;
    private readonly EnvironmentGoalReward? _goalReward;
    private readonly OffPolicyOptions _options;

    // One vector step: s, goals and tasks before the step; s′ and next achieved goals after it.
    private readonly float[] _observations;
    private readonly float[] _nextObservations;
    private readonly float[] _achievedGoals;
    private readonly float[] _nextAchievedGoals;
    private readonly float[] _desiredGoals;
    private readonly int[] _tasks;
    private readonly double[] _episodeReturns;
    private readonly int[] _episodeLengths;
    private readonly int[]? _assignedTasks;

    // Data quality of the current vector step (Skip policy): the first non-finite value and which envs held one.
    private readonly bool[] _badRows;
    private NonFiniteValue? _stepIssue;

    /// <summary>
    /// Sizes the replay buffer to the environment (its capacity rounded down to a multiple of
    /// the environment count), checks the options against it and resets the environments with
    /// the options' seed.
    /// </summary>
    /// <exception cref="ArgumentException">Task weights that do not match the task count, or HER without a goal environment.</exception>
    public OffPolicyLoop(IVectorEnvironment environment, OffPolicyOptions options, Accelerator? accelerator = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _goalEnvironment = environment as IGoalVectorEnvironment;
        if (options.TaskWeights is { } weights && weights.Count != environment.TaskCount)
        {
            throw new ArgumentException($"TaskWeights holds {weights.Count} weights but the environment runs {environment.TaskCount} task(s); give one per task", nameof(options));
        }
        if (options.Her is not null && _goalEnvironment is null)
        {
            throw new ArgumentException("hindsight relabeling (Her) needs a goal environment (IGoalVectorEnvironment)", nameof(options));
        }
        _environment = environment;
        _options = options;
        var n = environment.EnvironmentCount;
        var discrete = environment.ActionSpace.Kind == ActionKind.Discrete;
        var goalWidth = _goalEnvironment?.GoalSize ?? 0;
        Replay = new ReplayBuffer(new ReplayBufferOptions
        {
            Capacity = Math.Max(options.ReplayCapacity / n * n, n),
            EnvCount = n,
            ObservationWidth = environment.ObservationSize,
            ActionWidth = environment.ActionSpace.Width,
            DiscreteActions = discrete,
            GoalWidth = goalWidth,
            TaskCount = environment.TaskCount,
            Prioritized = options.IsPrioritized,
            TaskBalancedPriorities = options.Sampling == ReplaySampling.PrioritizedTaskBalanced,
            PriorityExponent = options.Priority.Alpha,
            PriorityEpsilon = options.Priority.Epsilon,
            Seed = options.Seed,
        }, accelerator);
        Batch = Replay.CreateBatch(options.BatchSize);
        _goalReward = _goalEnvironment is null ? null : new EnvironmentGoalReward(_goalEnvironment);

        _observations = new float[n * environment.ObservationSize];
        _nextObservations = new float[n * environment.ObservationSize];
        _achievedGoals = new float[n * goalWidth];
        _nextAchievedGoals = new float[n * goalWidth];
        _desiredGoals = new float[n * goalWidth];
        _tasks = new int[n];
        _episodeReturns = new double[n];
        _episodeLengths = new int[n];
        _badRows = new bool[n];
        TaskEpisodes = new EpisodeStatistics[environment.TaskCount];
        for (var t = 0; t < TaskEpisodes.Length; t++) TaskEpisodes[t] = new EpisodeStatistics(TaskWindow);

        environment.Reset(options.Seed);
        if (options.PerTaskReplay)
        {
            _assignedTasks = environment.Buffers.TaskIds.ToArray();
            var perTask = new int[environment.TaskCount];
            foreach (var task in _assignedTasks) perTask[task]++;
            if (perTask.Any(count => count != perTask[0]))
            {
                throw new ArgumentException(
                    $"per-task replay gives every task capacity/T; it needs every task run by the same number of environments, but the {n} environments run tasks {string.Join(", ", perTask.Select((count, task) => $"{task}: {count}"))}; use a multiple of {environment.TaskCount} environments",
                    nameof(environment));
            }
        }
    }

    /// <summary>The replay buffer every transition goes into.</summary>
    public ReplayBuffer Replay { get; }

    /// <summary>The batch <see cref="Sample"/> fills (BatchSize rows).</summary>
    public ReplayBatch Batch { get; }

    /// <summary>True when the environments are goal environments (goals travel with every row).</summary>
    public bool HasGoals => _goalEnvironment is not null;

    /// <summary>Transitions collected so far, over all environments.</summary>
    public long Transitions { get; private set; }

    /// <summary>Vector steps taken so far (each adds one transition per environment).</summary>
    public long VectorSteps { get; private set; }

    /// <summary>Transitions that held a NaN or ±∞ (observation, reward, goal or action) and were skipped under <see cref="NonFinitePolicy.Skip"/>.</summary>
    public long NonFiniteTransitions { get; private set; }

    /// <summary>
    /// Transitions not stored in replay because their vector step held a non-finite value: every
    /// environment's transition of such a step (replay rows are whole vector steps), so at least
    /// <see cref="NonFiniteTransitions"/>.
    /// </summary>
    public long SkippedTransitions { get; private set; }

    /// <summary>The last non-finite value skipped (null while there has been none).</summary>
    public NonFiniteValue? LastNonFinite { get; private set; }

    /// <summary>True until <see cref="OffPolicyOptions.Warmup"/> transitions are collected: actions are uniformly random.</summary>
    public bool InWarmup => Transitions < _options.Warmup;

    /// <summary>Finished episodes over all tasks.</summary>
    public EpisodeStatistics Episodes { get; } = new();

    /// <summary>Finished episodes of each task, over its last <see cref="TaskWindow"/> episodes.</summary>
    public EpisodeStatistics[] TaskEpisodes { get; }

    /// <summary>
    /// Episodes each task's statistics cover: short enough to follow the current policy when every
    /// task finishes only a few episodes between reports (the pooled <see cref="Episodes"/> keep 100).
    /// </summary>
    public const int TaskWindow = 20;

    /// <summary>The rows the agent acts on in this vector step (valid after <see cref="BeginStep"/>).</summary>
    public NetworkInputs CurrentInputs => new(_observations, _desiredGoals, _tasks, _environment.EnvironmentCount);

    /// <summary>Times the loop's phases (environment step, store, sample) and the trainer's, which record into it too; null: nothing is timed.</summary>
    public TrainingProfile? Profile { get; set; }

    /// <summary>Task ids of the environments in this vector step.</summary>
    public ReadOnlySpan<int> CurrentTasks => _tasks;

    /// <summary>
    /// Copies the observations, goals and task ids the agent is about to act on, and checks them
    /// for NaN and ±∞ (<see cref="OffPolicyOptions.NonFinite"/>), so a bad observation is reported
    /// as itself before the policy turns it into a bad action.
    /// </summary>
    /// <exception cref="NonFiniteDataException">A value is not finite and the policy is <see cref="NonFinitePolicy.Fail"/>.</exception>
    public void BeginStep()
    {
        if (_stepIssue is not null)
        {
            _stepIssue = null;
            Array.Clear(_badRows);
        }

        var buffers = _environment.Buffers;
        buffers.Observations.CopyTo(_observations, 0);
        buffers.TaskIds.CopyTo(_tasks, 0);
        if (_assignedTasks is not null && !_tasks.AsSpan().SequenceEqual(_assignedTasks))
        {
            throw new InvalidOperationException("per-task replay needs every environment to keep its task, but an environment changed task");
        }
        if (_goalEnvironment is not null)
        {
            buffers.AchievedGoals.CopyTo(_achievedGoals, 0);
            buffers.DesiredGoals.CopyTo(_desiredGoals, 0);
        }
        Inspect(_observations, _environment.ObservationSize, "environment", "observation");
        if (_goalEnvironment is not null)
        {
            Inspect(_achievedGoals, _goalEnvironment.GoalSize, "environment", "achieved goal");
            Inspect(_desiredGoals, _goalEnvironment.GoalSize, "environment", "desired goal");
        }
    }

    /// <summary>
    /// Checks the policy's continuous actions for NaN and ±∞ before the environments see them:
    /// under <see cref="NonFinitePolicy.Fail"/> the run stops; under <see cref="NonFinitePolicy.Skip"/>
    /// each non-finite element is replaced by 0 (the middle of the normalised range) and the step
    /// is not stored. Call it before mapping the actions to the environment's bounds.
    /// </summary>
    /// <param name="actions">Environments × action dimensions, normalised; non-finite elements are overwritten under Skip.</param>
    /// <exception cref="NonFiniteDataException">An action is not finite and the policy is <see cref="NonFinitePolicy.Fail"/>.</exception>
    public void CheckActions(Span<float> actions)
    {
        var width = _environment.ActionSpace.Width;
        if (!Inspect(actions, width, "policy", "action")) return;
        for (var i = 0; i < actions.Length; i++)
        {
            if (!float.IsFinite(actions[i])) actions[i] = 0f;
        }
    }

    /// <summary>Finds a non-finite value in a field of this step: throws under Fail, records it under Skip. True when one was found.</summary>
    private bool Inspect(ReadOnlySpan<float> values, int width, string origin, string field)
    {
        if (NonFinite.IndexOf(values) < 0) return false;
        var found = NonFinite.Find(values, width, _tasks, origin, field, VectorSteps)!;
        if (_options.NonFinite == NonFinitePolicy.Fail)
        {
            var cause = origin == "policy"
                ? " The environments' observations and goals were finite, so the policy network itself produced it (diverged parameters or activations)."
                : string.Empty;
            throw new NonFiniteDataException(found,
                $"non-finite training data: {found}.{cause} The run stops because OffPolicyOptions.NonFinite is Fail; with Skip such vector steps are left out of replay and counted.");
        }
        _stepIssue ??= found;
        NonFinite.MarkRows(values, width, _badRows);
        return true;
    }

    /// <summary>Steps discrete environments with <paramref name="actions"/>, stores the transitions and returns the updates now due.</summary>
    public long EndStep(ReadOnlySpan<int> actions)
    {
        using (TrainingProfile.Measure(Profile, TrainingPhase.EnvironmentStep)) ((IDiscreteVectorEnvironment)_environment).Step(actions);
        return Store(default, actions);
    }

    /// <summary>
    /// Steps continuous environments with <paramref name="environmentActions"/> (in the
    /// environment's bounds), stores <paramref name="storedActions"/> (what the critic learns
    /// from, e.g. the same action normalised to [−1, 1]) and returns the updates now due.
    /// </summary>
    /// <exception cref="NonFiniteDataException">A stored action, reward or next observation (or goal) is not finite under <see cref="NonFinitePolicy.Fail"/>.</exception>
    public long EndStep(ReadOnlySpan<float> environmentActions, ReadOnlySpan<float> storedActions)
    {
        // CheckActions has normally cleaned them already; a caller that did not call it still gets the report.
        Inspect(storedActions, _environment.ActionSpace.Width, "policy", "action");
        using (TrainingProfile.Measure(Profile, TrainingPhase.EnvironmentStep)) ((IContinuousVectorEnvironment)_environment).Step(environmentActions);
        return Store(storedActions, default);
    }

    /// <summary>How many multiples of <paramref name="every"/> transitions the last step crossed (target schedules count with it).</summary>
    public long Crossed(long every) => Transitions / every - (Transitions - _environment.EnvironmentCount) / every;

    /// <summary>Fills <see cref="Batch"/> as the options ask: uniform (with HER fused in), task-balanced (then relabeled), prioritized, or prioritized within equal task shares.</summary>
    public void Sample()
    {
        using var phase = TrainingProfile.Measure(Profile, TrainingPhase.Sample);
        switch (_options.Sampling)
        {
            case ReplaySampling.Uniform when _options.Her is { } her:
                Replay.SampleHer(Batch, her, _goalReward!);
                break;
            case ReplaySampling.Uniform:
                Replay.SampleUniform(Batch);
                break;
            case ReplaySampling.TaskBalanced:
                Replay.SampleBalanced(Batch);
                if (_options.Her is { } balancedHer) Replay.Relabel(Batch, balancedHer, _goalReward!);
                break;
            case ReplaySampling.Prioritized:
                Replay.SamplePrioritized(Batch, _options.BetaAt(Transitions));
                break;
            case ReplaySampling.PrioritizedTaskBalanced:
                Replay.SamplePrioritizedBalanced(Batch, _options.BetaAt(Transitions));
                break;
        }
    }

    /// <summary>The batch's rows as network inputs: observations (or next observations), desired goals and task ids.</summary>
    public NetworkInputs BatchInputs(bool next) =>
        new(next ? Batch.NextObservations : Batch.Observations, HasGoals ? Batch.DesiredGoals : default, Batch.TaskIds, Batch.Size);

    private long Store(ReadOnlySpan<float> actions, ReadOnlySpan<int> discreteActions)
    {
        using var phase = TrainingProfile.Measure(Profile, TrainingPhase.Store);
        var buffers = _environment.Buffers;
        var n = _environment.EnvironmentCount;
        buffers.CopyNextObservations(_nextObservations);
        if (_goalEnvironment is not null) buffers.CopyNextAchievedGoals(_nextAchievedGoals);
        Inspect(buffers.Rewards, 1, "environment", "reward");
        Inspect(_nextObservations, _environment.ObservationSize, "environment", "next observation");
        if (_goalEnvironment is not null) Inspect(_nextAchievedGoals, _goalEnvironment.GoalSize, "environment", "next achieved goal");
        if (_stepIssue is null) StoreStep(buffers, actions, discreteActions);
        else SkipStep(buffers, n);
        RecordEpisodes(buffers, n);

        var before = Transitions;
        Transitions += n;
        VectorSteps++;
        if (Transitions < _options.Warmup || Replay.SampleableCount == 0) return 0;
        return (Transitions / _options.TrainEvery - before / _options.TrainEvery) * _options.GradientSteps;
    }

    private void StoreStep(VectorStepBuffers buffers, ReadOnlySpan<float> actions, ReadOnlySpan<int> discreteActions)
    {
        Replay.Add(new ReplayStep
        {
            Observations = _observations,
            Actions = actions,
            DiscreteActions = discreteActions,
            Rewards = buffers.Rewards,
            NextObservations = _nextObservations,
            Terminated = buffers.Terminated,
            Truncated = buffers.Truncated,
            TaskIds = _tasks,
            AchievedGoals = _achievedGoals,
            NextAchievedGoals = _nextAchievedGoals,
            DesiredGoals = _desiredGoals,
        });
    }

    /// <summary>
    /// Leaves a vector step with non-finite data out of replay (Skip policy). Replay rows hold one
    /// step of every environment, so no transition of the step is stored; an environment whose
    /// episode ended in it has its stored episode ended at its previous step, truncated, so its
    /// next transition starts a new episode as the environment's does.
    /// </summary>
    private void SkipStep(VectorStepBuffers buffers, int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (_badRows[i]) NonFiniteTransitions++;
            if (buffers.Finished[i]) Replay.TruncateEpisode(i);
        }
        SkippedTransitions += n;
        LastNonFinite = _stepIssue;
    }

    private void RecordEpisodes(VectorStepBuffers buffers, int n)
    {
        for (var i = 0; i < n; i++)
        {
            // A skipped non-finite reward would make the whole return NaN; it is counted instead.
            var reward = buffers.Rewards[i];
            if (float.IsFinite(reward)) _episodeReturns[i] += reward;
            _episodeLengths[i]++;
            if (!buffers.Finished[i]) continue;
            Episodes.Add(_episodeReturns[i], _episodeLengths[i], buffers.Terminated[i]);
            TaskEpisodes[_tasks[i]].Add(_episodeReturns[i], _episodeLengths[i], buffers.Terminated[i]);
            _episodeReturns[i] = 0;
            _episodeLengths[i] = 0;
        }
    }

    /// <summary>
    /// Writes what the loop keeps between steps — counters, the running episodes, the episode
    /// statistics and the environments' state — so that a resumed run continues exactly; the
    /// replay buffer is saved on its own (<see cref="ReplayBuffer.Save"/>).
    /// </summary>
    internal void SaveState(Checkpoint checkpoint)
    {
        checkpoint.Counters["loop.transitions"] = Transitions;
        checkpoint.Counters["loop.vector_steps"] = VectorSteps;
        checkpoint.Counters["loop.nonfinite_transitions"] = NonFiniteTransitions;
        checkpoint.Counters["loop.skipped_transitions"] = SkippedTransitions;
        checkpoint.Integers["loop.episode_returns"] = Array.ConvertAll(_episodeReturns, BitConverter.DoubleToInt64Bits);
        checkpoint.Integers["loop.episode_lengths"] = Array.ConvertAll(_episodeLengths, length => (long)length);
        Episodes.SaveState(checkpoint, "loop.episodes.");
        for (var t = 0; t < TaskEpisodes.Length; t++) TaskEpisodes[t].SaveState(checkpoint, $"loop.task{t}.");
        if (_environment is IResumableEnvironment resumable) resumable.SaveState(checkpoint, "environment.");
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote, into a loop built for the same environments and options.</summary>
    /// <exception cref="CheckpointException">Something is missing or does not fit, or the environments cannot restore their state.</exception>
    internal void RestoreState(Checkpoint checkpoint)
    {
        if (_environment is not IResumableEnvironment resumable)
        {
            throw new CheckpointException($"{_environment.GetType().Name} cannot restore its state (it does not implement IResumableEnvironment), so the run cannot be resumed exactly");
        }
        var transitions = checkpoint.Counter("loop.transitions");
        var vectorSteps = checkpoint.Counter("loop.vector_steps");
        if (transitions < 0 || vectorSteps < 0 || transitions != vectorSteps * _environment.EnvironmentCount)
        {
            throw new CheckpointException($"the checkpoint's {transitions} transitions in {vectorSteps} vector steps do not fit {_environment.EnvironmentCount} environments");
        }
        var returns = checkpoint.RequireIntegers("loop.episode_returns", _episodeReturns.Length);
        var lengths = checkpoint.RequireIntegers("loop.episode_lengths", _episodeLengths.Length);
        resumable.RestoreState(checkpoint, "environment.");
        Episodes.RestoreState(checkpoint, "loop.episodes.");
        for (var t = 0; t < TaskEpisodes.Length; t++) TaskEpisodes[t].RestoreState(checkpoint, $"loop.task{t}.");
        for (var i = 0; i < returns.Length; i++)
        {
            if (lengths[i] is < 0 or > int.MaxValue) throw new CheckpointException($"environment {i}'s running episode has an impossible length {lengths[i]}");
            _episodeReturns[i] = BitConverter.Int64BitsToDouble(returns[i]);
            _episodeLengths[i] = (int)lengths[i];
        }
        Transitions = transitions;
        VectorSteps = vectorSteps;
        NonFiniteTransitions = checkpoint.Counter("loop.nonfinite_transitions");
        SkippedTransitions = checkpoint.Counter("loop.skipped_transitions");
    }
}
