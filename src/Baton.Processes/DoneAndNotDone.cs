namespace Baton.Processes;

/// <summary>What <see cref="Futures.WaitAsync{TTask}(IEnumerable{TTask}, ReturnWhen, TimeSpan?, CancellationToken)"/> found: the tasks that had completed and those that had not.</summary>
/// <typeparam name="TTask">The task type.</typeparam>
/// <param name="Done">The tasks that had completed when the wait returned.</param>
/// <param name="NotDone">The tasks still running when the wait returned (the timeout passed, or the condition was met first).</param>
public sealed record DoneAndNotDone<TTask>(IReadOnlySet<TTask> Done, IReadOnlySet<TTask> NotDone)
    where TTask : Task;
