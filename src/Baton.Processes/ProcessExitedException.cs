namespace Baton.Processes;

/// <summary>
/// A child process ended without delivering its result: it crashed, was killed, called
/// Environment.Exit, overflowed its stack or ran out of memory.
/// </summary>
public class ProcessExitedException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ProcessExitedException()
        : base("A child process ended without delivering its result.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ProcessExitedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ProcessExitedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a process that ended, naming what it was running.</summary>
    /// <param name="callName">The method the process was running (e.g. "MyApp.Work.Square").</param>
    /// <param name="pid">The process id.</param>
    /// <param name="exitCode">The exit status: the exit code, or minus the signal number when a signal killed it (as Python).</param>
    public ProcessExitedException(string callName, int pid, int exitCode)
        : base(Describe(callName, pid, exitCode))
    {
        Pid = pid;
        ExitCode = exitCode;
    }

    /// <summary>For derived exceptions with a message of their own (a pool's crashed worker names its task).</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="pid">The process id.</param>
    /// <param name="exitCode">The exit status: the exit code, or minus the signal number when a signal killed it.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected ProcessExitedException(string message, int pid, int exitCode, Exception? innerException)
        : base(message, innerException)
    {
        Pid = pid;
        ExitCode = exitCode;
    }

    /// <summary>The id of the process that ended.</summary>
    public int Pid { get; }

    /// <summary>The exit status: the exit code, or minus the signal number when a signal killed it (as Python).</summary>
    public int ExitCode { get; }

    /// <summary>The signal that killed the process, or null when it exited.</summary>
    public int? Signal => ExitCode < 0 ? -ExitCode : null;

    /// <summary>One sentence naming the method, the pid and the exit code or signal.</summary>
    protected static string Describe(string callName, int pid, int exitCode) => exitCode < 0
        ? $"The process {pid} running {callName} was killed by signal {-exitCode} ({SignalName(-exitCode)}) before delivering its result."
        : $"The process {pid} running {callName} exited with code {exitCode} before delivering its result.";

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "signal " + signal,
    };
}
