namespace Mtrl.Contracts;

/// <summary>
/// Where hindsight experience replay takes a substitute goal from, within the episode of the
/// sampled transition (Andrychowicz et al. 2017, §4.5; names and semantics as in
/// stable-baselines3's <c>GoalSelectionStrategy</c>). Every strategy uses the achieved goal
/// <em>after</em> a step (the next achieved goal), so the goal is a state the agent really reached.
/// </summary>
public enum HerGoalStrategy
{
    /// <summary>
    /// A step t' drawn uniformly from [t, L) where t is the sampled step and L the episode length
    /// (SB3 is inclusive of t: its goal, the achieved goal after step t, is already a later state
    /// than the sampled observation).
    /// </summary>
    Future,

    /// <summary>The last step of the episode (t' = L − 1): the state the episode ended in.</summary>
    Final,

    /// <summary>A step t' drawn uniformly from the whole episode, [0, L).</summary>
    Episode,
}
