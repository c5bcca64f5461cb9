namespace Mtrl.Contracts;

/// <summary>Who chooses the actions while a <c>DistillationTrainer</c> collects transitions.</summary>
public enum DistillationCollector
{
    /// <summary>
    /// The student, ε-greedy on its own outputs: the data follow the states the student visits
    /// (Actor-Mimic's collection, which is DAgger-like: the teacher labels the student's states).
    /// </summary>
    Student,

    /// <summary>The teacher of each environment's task, ε-greedy on its Q values (Rusu et al.'s collection).</summary>
    Teacher,
}
