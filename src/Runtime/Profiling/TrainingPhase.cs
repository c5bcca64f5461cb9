namespace Mtrl.Runtime.Profiling;

/// <summary>
/// The parts of an off-policy training step a <see cref="TrainingProfile"/> times separately, so a
/// whole run's time can be split the way its cost model is: acting, stepping, storing, sampling,
/// each forward and backward pass of an update, the optimizer and the target update.
/// </summary>
public enum TrainingPhase
{
    /// <summary>Choosing the vector step's actions: the acting forward pass at batch = environments, exploration noise, argmax or sampling.</summary>
    Act,

    /// <summary>The environments' vector step (including autoreset).</summary>
    EnvironmentStep,

    /// <summary>Checking the step's data, adding it to replay and recording finished episodes.</summary>
    Store,

    /// <summary>Drawing the batch from replay: indices, hindsight relabeling, the gather into batch rows.</summary>
    Sample,

    /// <summary>Forward passes on the next states for the bootstrap: DQN's online Q(s′) (double DQN), SAC's and TD3's next actions.</summary>
    ForwardNextOnline,

    /// <summary>Target networks' forward passes on the next states (and distillation's teachers on the batch).</summary>
    ForwardTarget,

    /// <summary>The trained networks' forward passes on the batch's states (Q(s, a) of the critics or the DQN).</summary>
    ForwardOnline,

    /// <summary>TD targets, the loss and its gradient with respect to the network outputs.</summary>
    Loss,

    /// <summary>The value networks' backward passes (per-task passes and gradient combination included).</summary>
    Backward,

    /// <summary>The policy update's forward passes: the actor on the batch and the critics at its actions (SAC, TD3, distillation's student).</summary>
    ForwardPolicy,

    /// <summary>The policy update's backward passes: through the critics to the actions, then the actor.</summary>
    BackwardPolicy,

    /// <summary>Optimizer steps (Adam on every network, SAC's temperatures).</summary>
    Optimizer,

    /// <summary>Target-network updates (hard copies or Polyak averaging).</summary>
    TargetUpdate,
}
