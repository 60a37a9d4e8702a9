using System.Diagnostics;
using System.Reflection;

namespace Baton.Bench.Cli;

/// <summary>Starts this same program again as a child process, with its standard streams redirected.</summary>
internal static class SelfProcess
{
    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardError = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Run as "dotnet baton-bench.dll": the assembly must come first.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new BenchFailure("could not start a child process of the benchmark");
    }
}
