using Baton.Processes.Internal;

namespace Baton.Processes;

public partial class ChildProcess
{
    private static readonly Lock SpareLock = new();
    private static (ControlChannel Channel, int Pid, Task<int> Exited)? spare;
    private static bool keepSpare;
    private static bool replenishing;

    /// <summary>
    /// When true, one child process is kept started ahead of need, waiting for its call, so that the next
    /// <c>Start</c> with default options (no environment or working directory of its own) skips the
    /// runtime's start-up: start-to-first-message drops from tens of milliseconds to about one. The spare
    /// is replaced in the background after each use, dies with this process like any child, and runs
    /// with the environment and working directory this process had when the spare started. Default false.
    /// </summary>
    public static bool KeepSpare
    {
        get => Volatile.Read(ref keepSpare);
        set
        {
            (ControlChannel Channel, int Pid, Task<int> Exited)? dropped = null;
            lock (SpareLock)
            {
                keepSpare = value;
                if (!value)
                {
                    dropped = spare;
                    spare = null;
                }
            }

            if (value)
                ReplenishSpare();
            else if (dropped is { } process)
                Discard(process);
        }
    }

    /// <summary>The spare's pid, or null when none is ready (for tests).</summary>
    internal static int? SparePid
    {
        get
        {
            lock (SpareLock)
                return spare?.Pid;
        }
    }

    private static (ControlChannel Channel, int Pid, Task<int> Exited)? TakeSpare()
    {
        (ControlChannel Channel, int Pid, Task<int> Exited)? taken;
        lock (SpareLock)
        {
            taken = spare;
            spare = null;
        }

        if (taken is { } process && process.Exited.IsCompleted)
        {
            process.Channel.Dispose(); // the spare died while waiting (killed from outside): start afresh
            return null;
        }

        return taken;
    }

    private static void ReplenishSpare()
    {
        lock (SpareLock)
        {
            if (!keepSpare || spare is not null || replenishing)
                return;
            replenishing = true;
        }

        _ = Task.Run(() =>
        {
            (ControlChannel Channel, int Pid, Task<int> Exited)? started = null;
            try
            {
                started = SpawnIdle(DefaultOptions);
            }
            catch (IOException)
            {
                // No spare this time (out of processes or descriptors): the next Start spawns as usual.
            }

            var keep = false;
            lock (SpareLock)
            {
                replenishing = false;
                if (started is not null && keepSpare && spare is null)
                {
                    spare = started;
                    keep = true;
                }
            }

            if (!keep && started is { } unused)
                Discard(unused);
        });
    }

    private static void Discard((ControlChannel Channel, int Pid, Task<int> Exited) process)
    {
        if (!process.Exited.IsCompleted)
            LibC.Kill(process.Pid, LibC.SIGKILL);
        process.Channel.Dispose();
    }
}
