using System.Diagnostics;
using System.Text;

namespace Baton.Tests.Cli;

/// <summary>The built <c>baton</c> CLI run as a child process; killed on dispose.</summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly StringBuilder _stderrText = new();
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _stderrWaiters = [];
    private readonly Task<string> _stderr;
    private bool _stderrEnded;

    private CliProcess(Process process)
    {
        _process = process;
        _stderr = ReadStderrAsync();
    }

    public int Id => _process.Id;

    public StreamWriter Input => _process.StandardInput;

    /// <summary>Closes the read end of the child's stdout, as <c>| head -1</c> does once it has its line.</summary>
    public void CloseStdout() => _process.StandardOutput.Close();

    public static CliProcess Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts the CLI with <paramref name="workingDirectory"/> as its current folder (null: the test's).</summary>
    public static CliProcess StartIn(string? workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // As ./baton does: `bench` goes to the benchmark, a program of its own.
        var bench = args is ["bench", ..];
        info.ArgumentList.Add(bench ? ProgramPath("bench", "Baton.Bench.Cli", "baton-bench.dll") : ProgramPath("src", "Baton.Cli", "Baton.Cli.dll"));
        foreach (var arg in bench ? args[1..] : args)
        {
            info.ArgumentList.Add(arg);
        }

        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Runs to completion and returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunInAsync(null, args);

    /// <summary>Runs to completion in <paramref name="workingDirectory"/> and returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunInAsync(string? workingDirectory, params string[] args)
    {
        await using var cli = StartIn(workingDirectory, args);
        cli.Input.Close();
        var stdout = await cli._process.StandardOutput.ReadToEndAsync();
        var exit = await cli.WaitForExitAsync();
        return (exit, stdout, await cli._stderr);
    }

    public Task<string?> ReadLineAsync() => _process.StandardOutput.ReadLineAsync().WaitAsync(TestUtil.Timeout);

    public async Task<int> WaitForExitAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public Task<string> StderrAsync() => _stderr;

    /// <summary>Waits for a line of stderr that contains <paramref name="text"/> (one written already counts) and returns it.</summary>
    public Task<string> WaitForStderrAsync(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var line in _stderrText.ToString().Split('\n'))
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return Task.FromResult(line);
                }
            }

            if (_stderrEnded)
            {
                throw new InvalidOperationException($"stderr ended without '{text}': {_stderrText}");
            }

            _stderrWaiters.Add((text, seen));
        }

        return seen.Task.WaitAsync(TestUtil.Timeout);
    }

    /// <summary>Sends SIGTERM, as a service manager stopping the command would.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public void Interrupt() => Signal("INT");

    private void Signal(string name)
    {
        // Not Process.Kill: that is SIGKILL, which no program can handle.
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString()])!;
        kill.WaitForExit();
    }

    private async Task<string> ReadStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_lock)
            {
                _stderrText.Append(line).Append('\n');
                for (var i = _stderrWaiters.Count - 1; i >= 0; i--)
                {
                    if (line.Contains(_stderrWaiters[i].Text, StringComparison.Ordinal))
                    {
                        _stderrWaiters[i].Seen.TrySetResult(line);
                        _stderrWaiters.RemoveAt(i);
                    }
                }
            }
        }

        lock (_lock)
        {
            _stderrEnded = true;
            foreach (var (text, seen) in _stderrWaiters)
            {
                seen.TrySetException(new InvalidOperationException($"stderr ended without '{text}': {_stderrText}"));
            }

            _stderrWaiters.Clear();
            return _stderrText.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string ProgramPath(string folder, string project, string assembly)
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var directory = new DirectoryInfo(here);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Baton.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException("Cannot find Baton.sln above " + here);
        }

        var path = Path.Combine(directory.FullName, folder, project, "bin", configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the CLI first", path);
    }
}
