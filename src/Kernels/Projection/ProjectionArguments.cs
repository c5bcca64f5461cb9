using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels;

/// <summary>
/// Argument checks shared by the projection entry points, so every one reports bad sizes with the
/// same wording: the argument's name, what it must hold and what it got.
/// </summary>
internal static class ProjectionArguments
{
    /// <summary>Checks T ≥ 1, P ≥ 0 and that the task block holds T rows of P floats.</summary>
    public static void CheckTaskBlock(int taskGradientsLength, int taskCount, int parameterCount)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }

        if (parameterCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "parameterCount must be at least 0.");
        }

        long expected = (long)taskCount * parameterCount;
        if (taskGradientsLength != expected)
        {
            throw new ArgumentException(
                $"taskGradients must hold taskCount × parameterCount = {taskCount} × {parameterCount} = {expected} floats (row-major, one row per task); it holds {taskGradientsLength}.",
                "taskGradients");
        }
    }

    /// <summary>Checks the output span: exactly P floats, not overlapping the task block.</summary>
    public static void CheckOutput(ReadOnlySpan<float> taskGradients, Span<float> output, int parameterCount)
    {
        if (output.Length != parameterCount)
        {
            throw new ArgumentException($"output must hold parameterCount = {parameterCount} floats; it holds {output.Length}.", nameof(output));
        }

        if (taskGradients.Overlaps(output))
        {
            throw new ArgumentException("output must not overlap taskGradients: the combination pass reads every task row while writing.", nameof(output));
        }
    }

    /// <summary>Checks that a reduction is one of the defined values.</summary>
    public static void CheckReduction(GradientReduction reduction)
    {
        if (reduction is not (GradientReduction.Sum or GradientReduction.Mean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be GradientReduction.Sum or GradientReduction.Mean.");
        }
    }

    /// <summary>Checks that a Gram method is one of the defined values.</summary>
    public static void CheckGramMethod(GramMethod method)
    {
        if (method is not (GramMethod.Blocked or GramMethod.Gemm))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "method must be GramMethod.Blocked or GramMethod.Gemm.");
        }
    }

    /// <summary>Checks a T×T matrix span.</summary>
    public static void CheckSquare(int length, int taskCount, string name)
    {
        if (length != taskCount * taskCount)
        {
            throw new ArgumentException($"{name} must hold taskCount × taskCount = {taskCount * taskCount} values (row-major); it holds {length}.", name);
        }
    }

    /// <summary>Checks a span with one value per task.</summary>
    public static void CheckPerTask(int length, int taskCount, string name)
    {
        if (length != taskCount)
        {
            throw new ArgumentException($"{name} must hold one value per task (taskCount = {taskCount}); it holds {length}.", name);
        }
    }

    /// <summary>Returns the caller's workspace after checking its sizes, or a new one.</summary>
    public static ProjectionWorkspace Workspace(ProjectionWorkspace? workspace, int taskCount, int parameterCount)
    {
        if (workspace is null)
        {
            return new ProjectionWorkspace(taskCount, parameterCount);
        }

        if (workspace.TaskCount != taskCount || workspace.ParameterCount != parameterCount)
        {
            throw new ArgumentException(
                $"workspace was built for taskCount = {workspace.TaskCount}, parameterCount = {workspace.ParameterCount}; this call has taskCount = {taskCount}, parameterCount = {parameterCount}.",
                nameof(workspace));
        }

        return workspace;
    }
}
