using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// One step of N PointMass environments, each with its task's mass, friction and wind: force
/// F = MaxForce·clamp(a, −1, 1) + wind − friction·v, then semi-implicit Euler
/// (v ← v + dt·F/m, p ← p + dt·v), walls at ±ArenaHalfSize that stop the velocity component
/// into them; reward sparse or −distance; terminated on success if configured; truncated at the
/// time limit; finished environments autoreset in the same step (Gymnasium's same-step mode).
/// With the goal in the observation, observation rows (final ones included) end with the goal of
/// their episode.
/// </summary>
public readonly ref struct PointMassStepKernel : IRangeKernel
{
    private readonly PointMassState _state;
    private readonly ReadOnlySpan<PointMassTask> _tasks;
    private readonly ReadOnlySpan<float> _actions;
    private readonly StepOutputs _outputs;
    private readonly GoalOutputs _goals;
    private readonly PointMassStepParameters _parameters;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of one step.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="tasks">Task table indexed by the state's task ids.</param>
    /// <param name="actions">N × 2 forces; components are clamped to [−1, 1] (NaN must be rejected by the caller).</param>
    /// <param name="outputs">Step outputs; observations are N × 4, or N × 6 with the goal in the observation.</param>
    /// <param name="goals">Goal outputs; goals are N × 2.</param>
    /// <param name="parameters">Shared settings.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    public PointMassStepKernel(
        PointMassState state, ReadOnlySpan<PointMassTask> tasks, ReadOnlySpan<float> actions,
        StepOutputs outputs, GoalOutputs goals, PointMassStepParameters parameters, ulong seed)
    {
        _state = state;
        _tasks = tasks;
        _actions = actions;
        _outputs = outputs;
        _goals = goals;
        _parameters = parameters;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        PointMassState s = _state;
        float dt = _parameters.TimeStep;
        float wall = _parameters.ArenaHalfSize;
        for (int i = start; i < end; i++)
        {
            ref readonly PointMassTask task = ref _tasks[s.TaskIds[i]];
            float ax = Math.Clamp(_actions[2 * i], -1f, 1f);
            float ay = Math.Clamp(_actions[2 * i + 1], -1f, 1f);
            float vx = s.VelocityX[i];
            float vy = s.VelocityY[i];
            float fx = _parameters.MaxForce * ax + task.WindX - task.Friction * vx;
            float fy = _parameters.MaxForce * ay + task.WindY - task.Friction * vy;
            vx += dt * (fx / task.Mass);
            vy += dt * (fy / task.Mass);
            float px = s.PositionX[i] + dt * vx;
            float py = s.PositionY[i] + dt * vy;
            if (px > wall) { px = wall; vx = 0f; }
            else if (px < -wall) { px = -wall; vx = 0f; }
            if (py > wall) { py = wall; vy = 0f; }
            else if (py < -wall) { py = -wall; vy = 0f; }

            s.PositionX[i] = px;
            s.PositionY[i] = py;
            s.VelocityX[i] = vx;
            s.VelocityY[i] = vy;
            int steps = s.Steps[i] + 1;
            s.Steps[i] = steps;

            float distance = PointMassRules.Distance(px, py, s.GoalX[i], s.GoalY[i]);
            bool terminated = _parameters.TerminateOnSuccess && PointMassRules.IsSuccess(distance, _parameters);
            bool truncated = steps >= _parameters.MaxEpisodeSteps;
            _outputs.Rewards[i] = PointMassRules.Reward(distance, _parameters);
            _outputs.Terminated[i] = terminated;
            _outputs.Truncated[i] = truncated;
            _outputs.Finished[i] = terminated | truncated;
            if (terminated | truncated)
            {
                PointMassRules.Write(s, i, _parameters.GoalInObservation, _outputs.FinalObservations, _goals.FinalAchievedGoals, _goals.FinalDesiredGoals);
                PointMassRules.StartEpisode(s, in task, _seed, i, s.Episodes[i] + 1);
            }

            PointMassRules.Write(s, i, _parameters.GoalInObservation, _outputs.Observations, _goals.AchievedGoals, _goals.DesiredGoals);
        }
    }
}
