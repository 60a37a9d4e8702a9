using System.Diagnostics;

namespace Baton.Tests.Security;

/// <summary>Runs a short Python script with Debian's pyzmq (real libzmq) and returns what it printed.</summary>
internal static class PythonScript
{
    private static readonly Lazy<string> s_python = new(() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

    /// <summary>Runs <paramref name="code"/> with <paramref name="args"/> as sys.argv[1:]; its stdout, trimmed; throws with its stderr if it fails.</summary>
    public static async Task<string> RunAsync(string code, params string[] args)
    {
        var info = new ProcessStartInfo(s_python.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(code);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the python script did not end in 30 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python exited with {process.ExitCode}: {await error}");
        }

        return (await output).Trim();
    }
}
