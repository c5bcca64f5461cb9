using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>
/// A sequential schedule's results as a reader wants them: one line as each stage ends, the
/// evaluation matrix (row: after which stage; column: task) at the end, and <c>stages.json</c> in
/// the run directory with the matrix and every stage task's learning curve.
/// </summary>
internal static class StageTable
{
    /// <summary>
    /// The progress line of one of the schedule's evaluations: at a stage's end, the task it trained
    /// and every evaluated task's greedy return (and success); during a stage, the stage task's curve
    /// point with how far into the stage it is (0: the task before any training in its stage).
    /// </summary>
    public static string Line(StageEvaluation evaluation)
    {
        if (evaluation.Ended is { } stage)
        {
            var tasks = string.Join(", ", stage.Evaluation.Tasks.Select(t => $"{t.Task}: {Score(t)}"));
            return string.Create(CultureInfo.InvariantCulture, $"{"stage",12} {stage.Stage} (task {stage.Stage}) ended at {stage.Transitions:N0} transitions; greedy return by task {tasks}");
        }
        var point = evaluation.Result.Tasks[0];
        var when = evaluation.StageTransitions == 0 ? "before its stage trains" : string.Create(CultureInfo.InvariantCulture, $"after {evaluation.StageTransitions:N0} of its stage's {evaluation.StageBudget:N0} transitions");
        return string.Create(CultureInfo.InvariantCulture, $"{"eval",12} task {point.Task} (stage {evaluation.Stage}) {when}, at {evaluation.Result.Transitions:N0} transitions: greedy return {Score(point)}");
    }

    /// <summary>A task's greedy return, with its success rate beside it where the environment has success.</summary>
    private static string Score(TaskEvaluation task) => double.IsNaN(task.SuccessRate)
        ? task.MeanReturn.ToString("F2", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{task.MeanReturn:F2} ({task.SuccessRate:P0})");

    /// <summary>The matrix R[stage, task] of greedy returns (success rates beside them where the environment has success).</summary>
    public static void Write(SequentialTrainer trainer, TextWriter output)
    {
        var withSuccess = trainer.Results.SelectMany(r => r.Evaluation.Tasks).Any(t => !double.IsNaN(t.SuccessRate));
        output.WriteLine($"greedy return{(withSuccess ? " (success)" : "")} of each task after each stage, {trainer.Options.Evaluation.EpisodesPerTask} episodes each:");
        output.WriteLine($"{"after stage",12}" + string.Concat(Enumerable.Range(0, trainer.Tasks).Select(t => $"{"task " + t,18}")));
        foreach (var stage in trainer.Results)
        {
            var cells = Enumerable.Range(0, trainer.Tasks).Select(task =>
            {
                var result = stage.Evaluation.Tasks.FirstOrDefault(t => t.Task == task);
                if (result is null) return $"{"—",18}";
                var cell = withSuccess
                    ? string.Create(CultureInfo.InvariantCulture, $"{result.MeanReturn:F2} ({result.SuccessRate:P0})")
                    : result.MeanReturn.ToString("F2", CultureInfo.InvariantCulture);
                return $"{cell,18}";
            });
            output.WriteLine($"{stage.Stage,12}" + string.Concat(cells));
        }
    }

    /// <summary>Writes <c>stages.json</c> into the run directory: per stage, every task's evaluation and the stage task's curve.</summary>
    public static void Save(SequentialTrainer trainer, string runDirectory)
    {
        var document = new
        {
            tasks = trainer.Tasks,
            steps_per_task = trainer.StageBudget,
            episodes_per_evaluation = trainer.Options.Evaluation.EpisodesPerTask,
            stages = trainer.Results.Select(stage => new
            {
                stage = stage.Stage,
                transitions = stage.Transitions,
                tasks = stage.Evaluation.Tasks.Select(t => new { task = t.Task, mean_return = t.MeanReturn, success = double.IsNaN(t.SuccessRate) ? (double?)null : t.SuccessRate, mean_length = t.MeanLength }),
                curve = stage.Curve.Select(p => new { stage_transitions = p.StageTransitions, mean_return = p.Evaluation.MeanReturn, success = double.IsNaN(p.Evaluation.SuccessRate) ? (double?)null : p.Evaluation.SuccessRate }),
            }),
        };
        var json = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.Write(Path.Combine(runDirectory, "stages.json"), stream => stream.Write(json));
    }
}
