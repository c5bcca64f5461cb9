using System.Linq;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// Where a sequential schedule's checkpoint stands: the stage it was saved in, whether the schedule
/// had finished, and the pathways of the tasks whose stages finished. The learned parameters alone do
/// not say which progressive columns are active or which PathNet modules a task runs through;
/// <see cref="SequentialTrainer"/> rebuilds that from here before restoring, and a network built over
/// the checkpoint's parameters outside a trainer (a distillation teacher) gets the same structure
/// from <see cref="Rebuild"/>, so it answers for every finished task as the schedule's greedy network does.
/// </summary>
public sealed class SavedSchedule
{
    internal const string StageCounter = "sequential.stage";
    internal const string FinishedCounter = "sequential.finished";
    internal const string PathwaysSection = "sequential.pathways";

    private SavedSchedule(int tasks, int stage, bool finished, int[][][] pathways)
    {
        Tasks = tasks;
        Stage = stage;
        Finished = finished;
        Pathways = pathways;
    }

    /// <summary>Tasks of the schedule, trained in order 0 .. Tasks − 1.</summary>
    public int Tasks { get; }

    /// <summary>The stage the checkpoint was saved in (the last one once <see cref="Finished"/>).</summary>
    public int Stage { get; }

    /// <summary>True when the last stage had ended.</summary>
    public bool Finished { get; }

    /// <summary>Stages that ended: tasks 0 .. FinishedStages − 1 are learned and (with columns or pathways) frozen.</summary>
    public int FinishedStages => Stage + (Finished ? 1 : 0);

    /// <summary>Finished tasks' PathNet pathways, [task][layer] → modules; null for tasks without one (and for every task without a PathNet grid).</summary>
    internal int[][][] Pathways { get; }

    /// <summary>True when <paramref name="checkpoint"/> was written by a sequential schedule.</summary>
    public static bool IsSequential(Checkpoint checkpoint) => checkpoint.Counters.ContainsKey(StageCounter);

    /// <summary>Reads the schedule's position from a checkpoint of an agent with <paramref name="tasks"/> tasks.</summary>
    /// <exception cref="CheckpointException">The checkpoint holds no sequential schedule, or its stage or pathways do not fit <paramref name="tasks"/>.</exception>
    public static SavedSchedule Read(Checkpoint checkpoint, int tasks)
    {
        var stage = checkpoint.Counter(StageCounter);
        if (stage < 0 || stage >= tasks) throw new CheckpointException($"the checkpoint's stage {stage} is outside [0, {tasks}) for this agent's {tasks} tasks");
        var finished = checkpoint.Counter(FinishedCounter) != 0;
        var pathways = StageRecords.DecodePathways(checkpoint.RequireIntegers(PathwaysSection), tasks);
        return new SavedSchedule(tasks, (int)stage, finished, pathways);
    }

    /// <summary>
    /// Gives <paramref name="network"/> the structure the saved stage left: progressive columns
    /// 0 .. Stage active and the finished ones frozen; each finished task's PathNet pathway set and
    /// frozen. Networks with neither (a schedule that fine-tunes one network) are left as they are.
    /// </summary>
    /// <exception cref="CheckpointException">The network's columns or pathways do not number <see cref="Tasks"/>, or a finished task has no pathway.</exception>
    public void Rebuild(object network)
    {
        if (network is IProgressiveNetwork progressive)
        {
            if (progressive.Columns != Tasks) throw new CheckpointException($"the network has {progressive.Columns} progressive columns but the schedule ran {Tasks} tasks");
            while (progressive.ActiveColumns <= Stage) progressive.AddColumn();
            for (var column = 0; column < FinishedStages; column++) progressive.FreezeColumn(column);
        }
        if (network is IPathNetNetwork grid)
        {
            if (grid.Tasks != Tasks) throw new CheckpointException($"the PathNet network has {grid.Tasks} task pathways but the schedule ran {Tasks} tasks");
            for (var task = 0; task < FinishedStages; task++)
            {
                var pathway = Pathways[task] ?? throw new CheckpointException($"the schedule finished task {task}'s stage but the checkpoint holds no pathway for it");
                if (pathway.Length != grid.PathLayers || pathway.Any(layer => layer.Length == 0 || layer.Length > grid.PathActive || layer.Any(m => m < 0 || m >= grid.PathModules)))
                {
                    throw new CheckpointException($"task {task}'s saved pathway does not fit the grid's {grid.PathLayers} layers of {grid.PathModules} modules ({grid.PathActive} active)");
                }
                for (var layer = 0; layer < pathway.Length; layer++) grid.SetPathway(task, layer, pathway[layer]);
                grid.FreezePathway(task);
            }
        }
    }
}
