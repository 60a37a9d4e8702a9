using System.CommandLine;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton bench</c> in the installed tool: the benchmark is a separate program (bench/Baton.Bench.Cli)
/// so that its peers (NetMQ, libzmq, ScottPlot with native Skia) do not weigh on every install;
/// this says where to find it.
/// </summary>
internal static class BenchPointerCommand
{
    /// <summary>Where the benchmark lives and how to run it, on one line.</summary>
    public const string Pointer = "the benchmark is not part of the installed tool: in a checkout of https://github.com/baton-dotnet/baton run ./baton bench throughput (or latency, connections; see the README's Measuring section)";

    public static Command Create()
    {
        // Takes any arguments, so `baton bench throughput --transport tcp` also gets the pointer, not a parse error.
        var rest = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        var command = new Command("bench", "Measure Baton against libzmq and NetMQ: a separate tool, run from a checkout with ./baton bench.") { rest };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (_, _) =>
        {
            await Console.Error.WriteLineAsync($"baton: {Pointer}");
            return 1;
        });
        return command;
    }
}
