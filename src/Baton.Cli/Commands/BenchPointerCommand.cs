using System.CommandLine;
using System.Diagnostics;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton bench</c> in the installed tool. The benchmark is a program of its own, baton-bench
/// (bench/Baton.Bench.Cli), so that its peers (NetMQ, libzmq, ScottPlot with native Skia) do not weigh on
/// every install: when baton-bench is on PATH this runs it with the same arguments, otherwise it says
/// where to get it.
/// </summary>
internal static class BenchPointerCommand
{
    /// <summary>Where the benchmark lives and how to run it, on one line.</summary>
    public const string Pointer = "the benchmark is a separate program, baton-bench: in a checkout of https://github.com/baton-dotnet/baton run ./baton bench throughput, or put baton-bench on PATH (dotnet publish bench/Baton.Bench.Cli -c Release -o DIR) and baton bench runs it";

    public static Command Create()
    {
        // Takes any arguments, so `baton bench throughput --transport tcp` reaches baton-bench unparsed.
        var rest = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Description = "What baton-bench takes: throughput, latency or connections and their options." };
        var command = new Command("bench", "Measure Baton against libzmq, NetMQ and a plain socket: runs baton-bench (./baton bench in a checkout).") { rest };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var program = FindOnPath(OperatingSystem.IsWindows() ? "baton-bench.exe" : "baton-bench");
            if (program is null)
            {
                await Console.Error.WriteLineAsync($"baton: {Pointer}");
                return 1;
            }

            // The tokens after "bench", as typed (options included, which this command does not parse).
            var start = new ProcessStartInfo(program) { UseShellExecute = false };
            foreach (var token in result.Tokens.SkipWhile(t => t.Value != "bench").Skip(1))
            {
                start.ArgumentList.Add(token.Value);
            }

            using var bench = Process.Start(start)!;
            try
            {
                await bench.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C reaches baton-bench too and ends it cleanly; a SIGTERM sent to us alone must not orphan it.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await bench.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    bench.Kill(entireProcessTree: true);
                }

                return 130;
            }

            return bench.ExitCode;
        });
        return command;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
