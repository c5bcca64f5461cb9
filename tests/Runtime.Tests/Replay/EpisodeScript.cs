using System;
using System.Collections.Generic;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>
/// Drives a replay buffer with synthetic episodes whose every field encodes where it came from,
/// and keeps an independent reference model of SB3's rules, so tests can check a sampled row
/// against the model without trusting the buffer's own bookkeeping.
/// </summary>
/// <remarks>
/// Transition id = global step · envs + env. Observation = [id, env, episode, t], next observation
/// = [id, env, episode, t + 1], action = [id, −id], reward = id mod 5, achieved goal = [episode, t],
/// next achieved goal = [episode, t + 1], desired goal = [episode, −1 − task]. Episode lengths are
/// drawn from [1, maxLength]; tasks either fixed per env or drawn per episode.
/// </remarks>
internal sealed class EpisodeScript
{
    private readonly ReplayBuffer _buffer;
    private readonly System.Collections.Generic.List<ReplayBuffer> _followers = [];
    private readonly Random _random;
    private readonly int _envs;
    private readonly int _maxLength;
    private readonly bool _taskPerEpisode;
    private readonly Func<int, int, int>? _taskChooser;
    private readonly EnvState[] _state;
    private readonly float[] _observations;
    private readonly float[] _next;
    private readonly float[] _actions;
    private readonly int[] _discrete;
    private readonly float[] _rewards;
    private readonly bool[] _terminated;
    private readonly bool[] _truncated;
    private readonly int[] _tasks;
    private readonly float[] _achieved;
    private readonly float[] _nextAchieved;
    private readonly float[] _desired;
    private int _nextEpisode;

    public EpisodeScript(ReplayBuffer buffer, int seed, int maxLength, bool taskPerEpisode = false, Func<int, int, int>? taskChooser = null)
    {
        _buffer = buffer;
        _random = new Random(seed);
        ReplayBufferOptions o = buffer.Options;
        _envs = o.EnvCount;
        _maxLength = maxLength;
        _taskPerEpisode = taskPerEpisode;
        _taskChooser = taskChooser;
        _state = new EnvState[_envs];
        _observations = new float[_envs * o.ObservationWidth];
        _next = new float[_envs * o.ObservationWidth];
        _actions = o.DiscreteActions ? [] : new float[_envs * o.ActionWidth];
        _discrete = o.DiscreteActions ? new int[_envs * o.ActionWidth] : [];
        _rewards = new float[_envs];
        _terminated = new bool[_envs];
        _truncated = new bool[_envs];
        _tasks = new int[_envs];
        _achieved = new float[_envs * o.GoalWidth];
        _nextAchieved = new float[_envs * o.GoalWidth];
        _desired = new float[_envs * o.GoalWidth];
        for (int e = 0; e < _envs; e++)
        {
            StartEpisode(e);
        }
    }

    /// <summary>Every episode ever started, by id.</summary>
    public List<EpisodeRecord> Episodes { get; } = [];

    /// <summary>Vector-env steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>Feeds every later step to <paramref name="follower"/> too (a copy of the buffer, e.g. loaded from a file).</summary>
    public void Attach(ReplayBuffer follower) => _followers.Add(follower);

    /// <summary>Takes <paramref name="count"/> steps.</summary>
    public void Run(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Step();
        }
    }

    /// <summary>Decodes a transition id from an observation row.</summary>
    public static long IdOf(ReadOnlySpan<float> observation) => (long)observation[0];

    /// <summary>The episode a transition belongs to.</summary>
    public EpisodeRecord EpisodeOf(ReadOnlySpan<float> observation) => Episodes[(int)observation[2]];

    /// <summary>SB3's rule, from the model: finished, and its first step still in the ring.</summary>
    public bool IsSampleable(EpisodeRecord episode) =>
        episode.Finished && episode.StartStep >= Steps - _buffer.Rows;

    /// <summary>Number of sampleable transitions according to the model.</summary>
    public long SampleableCount()
    {
        long count = 0;
        foreach (EpisodeRecord episode in Episodes)
        {
            if (IsSampleable(episode))
            {
                count += episode.Length;
            }
        }

        return count;
    }

    private void StartEpisode(int env)
    {
        int task = _taskChooser?.Invoke(env, _nextEpisode)
            ?? (_taskPerEpisode ? _random.Next(_buffer.Options.TaskCount) : env % _buffer.Options.TaskCount);
        var record = new EpisodeRecord(_nextEpisode++, env, task, _random.Next(1, _maxLength + 1), Steps);
        Episodes.Add(record);
        _state[env] = new EnvState(record, 0);
    }

    private void Step()
    {
        ReplayBufferOptions o = _buffer.Options;
        int ow = o.ObservationWidth;
        int g = o.GoalWidth;
        for (int e = 0; e < _envs; e++)
        {
            EnvState s = _state[e];
            long id = (Steps * _envs) + e;
            int episode = s.Episode.Id;
            Span<float> obs = _observations.AsSpan(e * ow, ow);
            Span<float> next = _next.AsSpan(e * ow, ow);
            obs.Clear();
            next.Clear();
            obs[0] = id;
            next[0] = id;
            if (ow >= 4)
            {
                obs[1] = e;
                next[1] = e;
                obs[2] = episode;
                next[2] = episode;
                obs[3] = s.Step;
                next[3] = s.Step + 1;
            }

            if (o.DiscreteActions)
            {
                _discrete.AsSpan(e * o.ActionWidth, o.ActionWidth).Fill((int)id);
            }
            else
            {
                Span<float> action = _actions.AsSpan(e * o.ActionWidth, o.ActionWidth);
                action.Fill(-id);
                action[0] = id;
            }

            _rewards[e] = id % 5;
            bool last = s.Step + 1 == s.Episode.Length;
            _terminated[e] = last && episode % 2 == 0;
            _truncated[e] = last && episode % 2 == 1;
            _tasks[e] = s.Episode.Task;
            if (g > 0)
            {
                Span<float> achieved = _achieved.AsSpan(e * g, g);
                Span<float> nextAchieved = _nextAchieved.AsSpan(e * g, g);
                Span<float> desired = _desired.AsSpan(e * g, g);
                achieved.Clear();
                nextAchieved.Clear();
                desired.Clear();
                achieved[0] = episode;
                nextAchieved[0] = episode;
                desired[0] = episode;
                if (g >= 2)
                {
                    achieved[1] = s.Step;
                    nextAchieved[1] = s.Step + 1;
                    desired[1] = -1 - s.Episode.Task;
                }
            }
        }

        var step = new ReplayStep
        {
            Observations = _observations,
            Actions = _actions,
            DiscreteActions = _discrete,
            Rewards = _rewards,
            NextObservations = _next,
            Terminated = _terminated,
            Truncated = _truncated,
            TaskIds = _tasks,
            AchievedGoals = _achieved,
            NextAchievedGoals = _nextAchieved,
            DesiredGoals = _desired,
        };
        _buffer.Add(step);
        foreach (ReplayBuffer follower in _followers)
        {
            follower.Add(step);
        }

        Steps++;
        for (int e = 0; e < _envs; e++)
        {
            EnvState s = _state[e];
            if (s.Step + 1 == s.Episode.Length)
            {
                s.Episode.Finished = true;
                StartEpisode(e);
            }
            else
            {
                _state[e] = s with { Step = s.Step + 1 };
            }
        }
    }

    private readonly record struct EnvState(EpisodeRecord Episode, int Step);
}

/// <summary>One scripted episode: identity, env, task, planned length, global step of its first transition.</summary>
internal sealed class EpisodeRecord(int id, int env, int task, int length, long startStep)
{
    public int Id { get; } = id;

    public int Env { get; } = env;

    public int Task { get; } = task;

    public int Length { get; } = length;

    public long StartStep { get; } = startStep;

    public bool Finished { get; set; }
}
