using System.Diagnostics;

namespace Baton.Tests.Patterns;

/// <summary>
/// A pyzmq peer of a pattern (pattern_peer.py: a REP server, a load-balancing or 6/PPP worker, a REQ
/// client) in a child process. It prints a line per event; closing its stdin ends it; dispose kills it
/// if it does not end by itself. <see cref="KillAsync"/> is a crash (SIGKILL).
/// </summary>
internal sealed class PatternPeer : IAsyncDisposable
{
    private readonly Process _process;

    private PatternPeer(Process process)
    {
        _process = process;
    }

    public static PatternPeer Start(params string[] args)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Patterns", "pattern_peer.py"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new PatternPeer(Process.Start(info)!);
    }

    /// <summary>The next line the peer printed; fails after the timeout or if the peer ended.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null)
        => await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30))
           ?? throw new InvalidOperationException("the pyzmq peer ended");

    /// <summary>Reads lines until one starts with <paramref name="prefix"/>, and returns it.</summary>
    public async Task<string> WaitForAsync(string prefix)
    {
        while (true)
        {
            var line = await ReadLineAsync();
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    /// <summary>Kills the peer at once (SIGKILL), as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }

        await KillAsync();
        _process.Dispose();
    }

    /// <summary>
    /// The Python interpreter that can <c>import zmq</c>, found once for every pyzmq peer of the pattern tests
    /// (Debian's first: a python3 earlier on PATH may not see python3-zmq).
    /// </summary>
    internal static string Python => s_python.Value;

    private static readonly Lazy<string> s_python = new(() =>
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(candidate, ["-c", "import zmq"]) { UseShellExecute = false, RedirectStandardError = true })!;
                probe.WaitForExit(10_000);
                if (probe.HasExited && probe.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        throw new InvalidOperationException("No Python interpreter can 'import zmq': install Debian's python3-zmq (scripts/test does).");
    });
}
