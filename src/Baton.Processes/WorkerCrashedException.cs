namespace Baton.Processes;

/// <summary>
/// The worker running a task died (it exited, was killed by a signal, overflowed its stack, ran out of
/// memory, or a remote worker fell silent): this task, and only this one, fails. The pool has already
/// replaced the worker. Names the task (id and method), the worker's pid and how it ended.
/// </summary>
public class WorkerCrashedException : ProcessExitedException
{
    /// <summary>A crash of the worker <paramref name="pid"/> while it ran task <paramref name="taskId"/>.</summary>
    /// <param name="taskId">The pool's id of the task.</param>
    /// <param name="taskName">The task's method, as Type.Method.</param>
    /// <param name="pid">The worker's process id.</param>
    /// <param name="exitCode">The exit code; negative for the signal that killed it; null when unknown (a remote worker lost).</param>
    /// <param name="attempts">How many times the task was started.</param>
    /// <param name="host">Where the worker ran (" on host"), empty for this machine.</param>
    /// <param name="how">How the worker ended, when the exit code does not say it.</param>
    public WorkerCrashedException(long taskId, string taskName, int pid, int? exitCode, int attempts = 1, string host = "", string? how = null)
        : this(BuildMessage(taskId, taskName, pid, exitCode, attempts, host, how), taskId, taskName, pid, exitCode)
    {
    }

    /// <summary>For derived exceptions with a message of their own.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="taskId">The pool's id of the task.</param>
    /// <param name="taskName">The task's method, as Type.Method.</param>
    /// <param name="pid">The worker's process id.</param>
    /// <param name="exitCode">The exit code; negative for the signal that killed it; null when unknown.</param>
    protected WorkerCrashedException(string message, long taskId, string taskName, int pid, int? exitCode)
        : base(taskName, pid, exitCode ?? 0)
    {
        _message = message;
        TaskId = taskId;
        TaskName = taskName;
        IsExitCodeKnown = exitCode is not null;
    }

    private readonly string _message;

    /// <summary>What happened, naming the task, the worker's pid and how it ended.</summary>
    public override string Message => _message;

    /// <summary>False when the worker was lost without an exit status (a remote worker fell silent); <see cref="ProcessExitedException.ExitCode"/> is then 0.</summary>
    public bool IsExitCodeKnown { get; }

    /// <summary>The pool's id of the task the worker held.</summary>
    public long TaskId { get; }

    /// <summary>The task's method, as Type.Method.</summary>
    public string TaskName { get; }

    /// <summary>The exit code a worker uses when a task ran it out of memory (ENOMEM).</summary>
    public const int OutOfMemoryExitCode = 12;

    /// <summary>How a worker's end reads in a message: "was killed by signal 9 (SIGKILL)", "exited with code 3".</summary>
    internal static string DescribeExit(int? exitCode, string? how)
    {
        if (how is not null)
            return how;
        return exitCode switch
        {
            null => "was lost",
            OutOfMemoryExitCode => $"ran out of memory (exit code {OutOfMemoryExitCode})",
            < 0 => $"was killed by signal {-exitCode} ({SignalName(-exitCode.Value)})",
            _ => $"exited with code {exitCode}",
        };
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT: a stack overflow or a fatal runtime error",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => "signal " + signal,
    };

    private static string BuildMessage(long taskId, string taskName, int pid, int? exitCode, int attempts, string host, string? how)
    {
        var tries = attempts > 1 ? $" (attempt {attempts})" : "";
        return $"Task {taskId} ({taskName}) failed: its worker process {pid}{host} {DescribeExit(exitCode, how)} while running it{tries}. The pool replaced the worker; other tasks are not affected.";
    }
}
