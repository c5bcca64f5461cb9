using System;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Algorithms;

/// <summary>Checks shared by the trainers that take several discrete-action networks (students, teachers, Distral's two columns).</summary>
internal static class QNetworks
{
    /// <summary>Throws unless <paramref name="network"/> has one output per action and reads the environment's observation and goal widths.</summary>
    /// <param name="network">The network to check.</param>
    /// <param name="environment">The environments it will read.</param>
    /// <param name="role">How the message names it ("the student", "teacher 2").</param>
    /// <exception cref="ArgumentException">A width that does not fit, named with both values.</exception>
    public static void CheckFits(IQNetwork network, IDiscreteVectorEnvironment environment, string role)
    {
        if (network.ActionCount != environment.ActionSpace.Count)
        {
            throw new ArgumentException($"{role} has {network.ActionCount} outputs per row but the environment has {environment.ActionSpace.Count} actions", nameof(network));
        }
        if (network.ObservationWidth != environment.ObservationSize)
        {
            throw new ArgumentException($"{role} reads observations {network.ObservationWidth} wide but the environment's are {environment.ObservationSize} wide", nameof(network));
        }
        var goalWidth = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        if (network.GoalWidth != goalWidth)
        {
            throw new ArgumentException($"{role} reads goals {network.GoalWidth} wide but the environment's are {goalWidth} wide", nameof(network));
        }
    }
}
