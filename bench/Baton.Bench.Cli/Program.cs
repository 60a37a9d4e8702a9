using System.Runtime.InteropServices;

namespace Baton.Bench.Cli;

/// <summary>
/// <c>baton-bench</c>: the benchmark, a program of its own so that its heavy peers (NetMQ, libzmq,
/// ScottPlot) stay out of the <c>baton</c> tool. In a checkout <c>./baton bench ARGS</c> runs it.
/// </summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen measurement.</summary>
    public static async Task<int> Main(string[] args)
    {
        var parsed = BenchCommand.Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // As the baton tool: one line on stderr that names the problem, no help dump.
            var message = string.Join(' ', parsed.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            await Console.Error.WriteLineAsync($"baton bench: {message}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
