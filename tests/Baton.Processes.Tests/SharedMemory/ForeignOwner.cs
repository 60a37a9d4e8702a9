using System.Diagnostics;

namespace Baton.Processes.Tests.SharedMemory;

/// <summary>
/// A python3 process that opens a block's file and holds LOCK_SH on it, as an owner that is not Baton; the
/// test kills it with SIGKILL to leave an owner that died without closing.
/// </summary>
internal sealed class ForeignOwner : IDisposable
{
    // argv: path, then optionally the offset of a free ProcessLock word to take (a plain store of our pid is
    // an honest acquisition while the test guarantees nobody else competes for it).
    private const string Script = """
        import fcntl, mmap, os, struct, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_SH)
        if len(sys.argv) > 2:
            m = mmap.mmap(fd, 0)
            struct.pack_into("<i", m, int(sys.argv[2]), os.getpid())
        print("ready", flush=True)
        sys.stdin.read()
        """;

    private readonly Process _process;

    private ForeignOwner(Process process) => _process = process;

    /// <summary>The owner's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts the owner and returns once it holds the file's flock.</summary>
    public static ForeignOwner Start(string path) => Start(path, lockWordOffset: null);

    /// <summary>
    /// Starts the owner, which also takes the free process lock whose word is at <paramref name="lockWordOffset"/>.
    /// </summary>
    public static ForeignOwner Start(string path, int? lockWordOffset)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add(path);
        if (lockWordOffset is { } offset)
            info.ArgumentList.Add(offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
        var owner = new ForeignOwner(process);
        try
        {
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != "ready")
                throw new InvalidOperationException("python3 did not take the lock.");
            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>kill -9, and waits until the process is gone (and reaped).</summary>
    public void KillHard()
    {
        _process.Kill();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("python3 did not die.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                KillHard();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
