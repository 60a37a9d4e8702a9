using System.Diagnostics;

namespace Baton.Bench.Cli;

/// <summary>
/// The non-measuring end of a test: a thread for inproc, otherwise a child process running
/// <c>baton-bench peer</c>, so each end has its own runtime, GC and threads, as two programs would.
/// </summary>
internal sealed class RemoteEnd : IDisposable
{
    private readonly Process? _process;
    private readonly ManualResetEventSlim? _release;

    private RemoteEnd(Task completion, Process? process, ManualResetEventSlim? release)
    {
        Completion = completion;
        _process = process;
        _release = release;
    }

    /// <summary>Completes when the remote end is done; faults with its error.</summary>
    public Task Completion { get; }

    public static RemoteEnd Start(Driver driver, string role, string transport, string endpoint, int size, int count)
    {
        if (transport == "inproc")
        {
            var release = new ManualResetEventSlim();
            var thread = Task.Factory.StartNew(
                () => RunRole(driver, role, endpoint, size, count, release.Wait),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            return new RemoteEnd(thread, null, release);
        }

        string[] arguments = ["peer", "--role", role, "--impl", driver.Name, "--endpoint", endpoint, "--size", $"{size}", "--count", $"{count}"];
        var process = SelfProcess.Start(driver.Curve is { } curve ? [.. arguments, .. curve.ClientArguments()] : arguments);
        return new RemoteEnd(WaitAsync(process, driver.Name), process, null);
    }

    /// <summary>Lets the remote end close its socket: the measuring end has what it needs.</summary>
    public void Release()
    {
        _release?.Set();
        if (_process is { HasExited: false })
        {
            // The child holds its socket open until its standard input ends.
            _process.StandardInput.Close();
        }
    }

    /// <summary>What <c>baton-bench peer</c> runs in the child; <paramref name="beforeClose"/> holds the socket open.</summary>
    public static void RunRole(Driver driver, string role, string endpoint, int size, int count, Action beforeClose)
    {
        switch (role)
        {
            case "push":
                driver.Push(endpoint, size, count, beforeClose);
                break;
            case "rep":
                driver.Rep(endpoint, size, count, beforeClose);
                break;
            default:
                throw new BenchFailure($"unknown role '{role}' (push or rep)");
        }
    }

    private static async Task WaitAsync(Process process, string name)
    {
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var text = (await errors.ConfigureAwait(false)).Trim();
            throw new BenchFailure($"the {name} peer process failed (exit code {process.ExitCode}): {text}");
        }
    }

    public void Dispose()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        _release?.Set();
    }
}
