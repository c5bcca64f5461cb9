using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Evaluation;

/// <summary>
/// Runs an agent's greedy (deterministic) policy on environments of its own — never the training
/// environments, whose episodes it would cut — until every task has finished
/// <see cref="EvaluationOptions.EpisodesPerTask"/> episodes, and reports each task and the
/// average, median and worst task. Exploration noise, ε and warm-up play no part.
/// </summary>
/// <remarks>
/// Every evaluation resets the environments with the same seed, so it depends only on the
/// agent's parameters: the same parameters give the same result, whatever the thread count.
/// An episode counts for the task its environment ran when it started. When several
/// environments run one task, a task's first episodes in environment order are counted, and
/// later ones are ignored, so the counted set does not depend on how fast other tasks finish.
/// </remarks>
public sealed class PolicyEvaluator
{
    private readonly IVectorEnvironment _environment;
    private readonly int[] _tasks;
    private readonly int[] _discreteActions;
    private readonly float[] _continuousActions;
    private readonly double[] _runningReturns;
    private readonly int[] _runningLengths;
    private readonly int[] _episodes;
    private readonly double[] _returnSums;
    private readonly double[] _returnSquares;
    private readonly int[] _successes;
    private readonly long[] _lengthSums;

    /// <summary>Evaluates on <paramref name="environment"/>, which must run every task in at least one environment.</summary>
    public PolicyEvaluator(IVectorEnvironment environment, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        Options = options ?? new EvaluationOptions();
        Options.Validate();
        _environment = environment;
        var n = environment.EnvironmentCount;
        var taskCount = environment.TaskCount;
        _tasks = new int[n];
        _discreteActions = environment.ActionSpace.Kind == ActionKind.Discrete ? new int[n] : Array.Empty<int>();
        _continuousActions = environment.ActionSpace.Kind == ActionKind.Continuous ? new float[n * environment.ActionSpace.Width] : Array.Empty<float>();
        _runningReturns = new double[n];
        _runningLengths = new int[n];
        _episodes = new int[taskCount];
        _returnSums = new double[taskCount];
        _returnSquares = new double[taskCount];
        _successes = new int[taskCount];
        _lengthSums = new long[taskCount];
    }

    /// <summary>The settings evaluations run with.</summary>
    public EvaluationOptions Options { get; }

    /// <summary>Evaluates a trainer's greedy policy (DQN's argmax Q, SAC's tanh of the mean, TD3's actor).</summary>
    /// <exception cref="ArgumentException">The trainer has no greedy policy for this environment's action kind.</exception>
    public EvaluationResult EvaluateTrainer(ITrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return trainer switch
        {
            IDiscreteGreedyPolicy discrete when _environment.ActionSpace.Kind == ActionKind.Discrete => Evaluate(discrete, trainer.Transitions),
            IContinuousGreedyPolicy continuous when _environment.ActionSpace.Kind == ActionKind.Continuous => Evaluate(continuous, trainer.Transitions),
            _ => throw new ArgumentException(
                $"{trainer.GetType().Name} has no greedy policy for the evaluation environment's {_environment.ActionSpace.Kind.ToString().ToLowerInvariant()} actions", nameof(trainer)),
        };
    }

    /// <summary>Evaluates argmax actions; <paramref name="transitions"/> labels the result.</summary>
    public EvaluationResult Evaluate(IDiscreteGreedyPolicy policy, long transitions = 0)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (_environment is not IDiscreteVectorEnvironment discrete)
        {
            throw new ArgumentException("the evaluation environment takes continuous actions; this policy chooses discrete ones", nameof(policy));
        }
        return Run(transitions, policy.MaxRows, (in NetworkInputs rows, int first) =>
        {
            policy.Act(rows, _discreteActions.AsSpan(first, rows.Count));
        }, () => discrete.Step(_discreteActions));
    }

    /// <summary>Evaluates deterministic continuous actions; <paramref name="transitions"/> labels the result.</summary>
    public EvaluationResult Evaluate(IContinuousGreedyPolicy policy, long transitions = 0)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (_environment is not IContinuousVectorEnvironment continuous)
        {
            throw new ArgumentException("the evaluation environment takes discrete actions; this policy chooses continuous ones", nameof(policy));
        }
        var width = _environment.ActionSpace.Width;
        if (policy.ActionSize != width)
        {
            throw new ArgumentException($"the policy chooses {policy.ActionSize} action values per row but the evaluation environment takes {width}", nameof(policy));
        }
        return Run(transitions, policy.MaxRows, (in NetworkInputs rows, int first) =>
        {
            policy.Act(rows, _continuousActions.AsSpan(first * width, rows.Count * width));
        }, () => continuous.Step(_continuousActions));
    }

    private delegate void ActOnRows(in NetworkInputs rows, int first);

    private EvaluationResult Run(long transitions, int maxRows, ActOnRows act, Action step)
    {
        if (maxRows < 1) throw new ArgumentException($"the policy takes at most {maxRows} rows per call; it must take at least 1");
        var environment = _environment;
        var n = environment.EnvironmentCount;
        var taskCount = environment.TaskCount;
        var wanted = Options.EpisodesPerTask;
        var signal = environment.SuccessSignal;
        var observationWidth = environment.ObservationSize;
        var goalWidth = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;

        Array.Clear(_runningReturns);
        Array.Clear(_runningLengths);
        Array.Clear(_episodes);
        Array.Clear(_returnSums);
        Array.Clear(_returnSquares);
        Array.Clear(_successes);
        Array.Clear(_lengthSums);

        environment.Reset(Options.Seed);
        var buffers = environment.Buffers;
        var evaluated = Options.Tasks is { } listed ? listed.OrderBy(t => t).ToArray() : Enumerable.Range(0, taskCount).ToArray();
        if (evaluated[^1] >= taskCount)
        {
            throw new ArgumentException($"EvaluationOptions.Tasks lists task {evaluated[^1]}, but the evaluation environment runs tasks in [0, {taskCount})");
        }
        var missing = evaluated.Where(t => Array.IndexOf(buffers.TaskIds, t) < 0).ToArray();
        if (missing.Length > 0)
        {
            throw new ArgumentException(
                Options.Tasks is null
                    ? $"the evaluation environment runs {n} environment(s), none of them on task(s) {string.Join(", ", missing)}; give it at least {taskCount} environments so that every task is evaluated"
                    : $"the evaluation environment runs no environment on task(s) {string.Join(", ", missing)} listed in EvaluationOptions.Tasks");
        }

        // Tasks not evaluated count as done from the start.
        for (var t = 0; t < taskCount; t++) _episodes[t] = wanted;
        foreach (var t in evaluated) _episodes[t] = 0;
        var remaining = evaluated.Length;
        for (long vectorStep = 0; remaining > 0; vectorStep++)
        {
            if (vectorStep == Options.MaxVectorSteps)
            {
                var unfinished = evaluated.Where(t => _episodes[t] < wanted).Select(t => $"{t} ({_episodes[t]} of {wanted})");
                throw new InvalidOperationException(
                    $"evaluation stopped after {Options.MaxVectorSteps:N0} vector steps with tasks {string.Join(", ", unfinished)} episodes short; do the environments end their episodes?");
            }
            buffers.TaskIds.CopyTo(_tasks, 0);
            for (var first = 0; first < n; first += maxRows)
            {
                var count = Math.Min(maxRows, n - first);
                var rows = new NetworkInputs(
                    buffers.Observations.AsSpan(first * observationWidth, count * observationWidth),
                    goalWidth > 0 ? buffers.DesiredGoals.AsSpan(first * goalWidth, count * goalWidth) : default,
                    _tasks.AsSpan(first, count),
                    count);
                act(rows, first);
            }
            step();

            for (var i = 0; i < n; i++)
            {
                _runningReturns[i] += buffers.Rewards[i];
                _runningLengths[i]++;
                if (!buffers.Finished[i]) continue;
                var task = _tasks[i];
                if (_episodes[task] < wanted)
                {
                    var episodeReturn = _runningReturns[i];
                    _episodes[task]++;
                    _returnSums[task] += episodeReturn;
                    _returnSquares[task] += episodeReturn * episodeReturn;
                    _lengthSums[task] += _runningLengths[i];
                    if (signal.IsSuccess(buffers.Terminated[i])) _successes[task]++;
                    if (_episodes[task] == wanted) remaining--;
                }
                _runningReturns[i] = 0;
                _runningLengths[i] = 0;
            }
        }

        var tasks = new TaskEvaluation[evaluated.Length];
        for (var k = 0; k < evaluated.Length; k++)
        {
            var t = evaluated[k];
            var count = _episodes[t];
            var mean = _returnSums[t] / count;
            var variance = Math.Max(_returnSquares[t] / count - mean * mean, 0.0);
            tasks[k] = new TaskEvaluation(
                t, count, mean, Math.Sqrt(variance),
                signal == SuccessSignal.None ? double.NaN : (double)_successes[t] / count,
                (double)_lengthSums[t] / count);
        }
        return new EvaluationResult(transitions, signal, tasks);
    }
}
