namespace Baton.Processes;

/// <summary>
/// An idempotent task killed <see cref="ProcessPoolOptions.PoisonThreshold"/> workers in a row: it is
/// failed as poisonous instead of being retried again, so it cannot eat the pool.
/// </summary>
public sealed class PoisonTaskException : WorkerCrashedException
{
    /// <summary>Task <paramref name="taskId"/> killed <paramref name="workersKilled"/> workers, the last being <paramref name="pid"/>.</summary>
    /// <param name="taskId">The pool's id of the task.</param>
    /// <param name="taskName">The task's method, as Type.Method.</param>
    /// <param name="pid">The last worker it killed.</param>
    /// <param name="exitCode">How that worker ended: exit code, negative signal, null when unknown.</param>
    /// <param name="workersKilled">How many workers the task killed.</param>
    /// <param name="host">Where the last worker ran (" on host"), empty for this machine.</param>
    /// <param name="how">How the worker ended, when the exit code does not say it.</param>
    public PoisonTaskException(long taskId, string taskName, int pid, int? exitCode, int workersKilled, string host = "", string? how = null)
        : base($"Task {taskId} ({taskName}) is poisonous: it killed {workersKilled} workers and will not be retried again (the last, process {pid}{host}, {DescribeExit(exitCode, how)}).", taskId, taskName, pid, exitCode)
    {
        WorkersKilled = workersKilled;
    }

    /// <summary>How many workers the task killed.</summary>
    public int WorkersKilled { get; }
}
