using System.Diagnostics;
using System.Text;

namespace Baton.Processes.Tests.Pool;

/// <summary>A remote worker as a process of its own: `baton worker`, or this test app re-executed with BATON_WORKER_CONNECT. Killed with its children on dispose.</summary>
internal sealed class RemoteWorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RemoteWorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>`baton worker ARGS`, optionally inside a network namespace (ip netns exec).</summary>
    public static RemoteWorkerProcess StartCli(string? networkNamespace, params string[] args)
    {
        var info = networkNamespace is null ? new ProcessStartInfo("dotnet") : new ProcessStartInfo("ip");
        if (networkNamespace is not null)
        {
            info.ArgumentList.Add("netns");
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(networkNamespace);
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(CliPath());
        info.ArgumentList.Add("worker");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Start(info);
    }

    /// <summary>This very test app (its command line from /proc/self/cmdline) started as a worker through the environment: its Main never runs.</summary>
    public static RemoteWorkerProcess StartSelf(string endpoint, IReadOnlyDictionary<string, string>? environment = null)
    {
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        var info = new ProcessStartInfo(argv[0]);
        foreach (var arg in argv[1..])
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_STARTUP_HOOKS"] = "Baton.Processes";
        info.Environment[ProcessPoolWorker.ConnectVariable] = endpoint;
        info.Environment[ProcessPoolWorker.WorkersVariable] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        return Start(info);
    }

    /// <summary>Sends a signal by name (TERM, INT), as a service manager or Ctrl+C would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>The test assembly, for --load.</summary>
    public static string TestAssemblyPath => typeof(RemoteWorkerProcess).Assembly.Location;

    private static RemoteWorkerProcess Start(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        return new RemoteWorkerProcess(Process.Start(info)!);
    }

    /// <summary>The built `baton` tool (Baton.Cli.dll) of this configuration.</summary>
    public static string CliPath()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var directory = new DirectoryInfo(here);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Baton.sln")))
            directory = directory.Parent;
        return Path.Combine(directory!.FullName, "src", "Baton.Cli", "bin", configuration, "net10.0", "Baton.Cli.dll");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }
}
