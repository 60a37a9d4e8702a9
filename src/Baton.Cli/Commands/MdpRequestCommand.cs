using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary><c>baton mdp-request</c>: one Majordomo (7/MDP) request from the shell, its reply printed as a line.</summary>
internal static class MdpRequestCommand
{
    public static Command Create()
    {
        var connect = new Option<string?>("--connect", "-c") { Description = "The broker's endpoint, e.g. tcp://127.0.0.1:5555.", HelpName = "ENDPOINT" };
        var timeout = new Option<double>("--timeout", "-t")
        {
            Description = "Seconds each attempt waits for the reply [default: 2.5].",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 2.5,
            CustomParser = ParseSeconds,
        };
        var attempts = new Option<int>("--attempts", "-n")
        {
            Description = "How many times the request is sent before giving up [default: 3].",
            HelpName = "N",
            DefaultValueFactory = _ => 3,
            CustomParser = ParseAttempts,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log everything Baton does (connections, retries) on stderr." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing, not even warnings." };
        var service = new Argument<string>("SERVICE") { Description = "The service to ask, or mmi.service to ask whether a service has workers." };
        var frames = new Argument<string[]>("FRAME")
        {
            Description = "Frames of the request body, as text (\\\\ \\t \\n \\r \\xHH escapes). Put '--' before a frame that starts with '-'.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("mdp-request", "Send one Majordomo request through a broker and print the reply's frames on one line (tabs between frames).")
        {
            connect, timeout, attempts, verbose, quiet, service, frames,
        };

        // It only connects: the client flags secure its connection to the broker (baton broker --curve-server ...).
        var security = new SecurityFlags(SecurityScope.ConnectsOnly, clientSockets: " to the broker");
        security.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(connect) is not { Tokens.Count: > 0 })
            {
                result.AddError("missing --connect: the broker's endpoint, e.g. tcp://127.0.0.1:5555");
            }

            if (result.GetResult(verbose) is not null && result.GetResult(quiet) is not null)
            {
                result.AddError("give --verbose or --quiet, not both");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() => RunAsync(
            result.GetValue(connect)!,
            result.GetValue(service)!,
            result.GetValue(frames) ?? [],
            new MajordomoClientOptions
            {
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                Attempts = result.GetValue(attempts),
                Security = security.Resolve(result).Client,
            },
            result.GetValue(verbose),
            result.GetValue(quiet),
            cancellationToken)));
        return command.WithExamples(
            "baton mdp-request -c tcp://127.0.0.1:5555 echo hello            one request, the reply printed",
            "baton mdp-request -c tcp://127.0.0.1:5555 mmi.service echo      200 if echo has workers, else 404",
            "baton mdp-request -c tcp://127.0.0.1:5555 -t 10 -n 1 slow job   one attempt of 10 seconds",
            "baton mdp-request -c tcp://127.0.0.1:5555 --curve-client me.key_secret --curve-serverkey broker.key echo hi",
            "                                                                to a broker run with --curve-server broker.key_secret");
    }

    private static async Task<int> RunAsync(string endpoint, string service, string[] arguments, MajordomoClientOptions options, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        var codec = new FrameCodec(FrameFormat.Text);
        var request = new Message();
        for (var i = 0; i < arguments.Length; i++)
        {
            try
            {
                request.Append(codec.DecodeFrame(arguments[i]));
            }
            catch (FormatException e)
            {
                request.Dispose();
                throw new CliFailure($"FRAME {i + 1}: {e.Message}", CliRunner.UsageErrorExitCode);
            }
        }

        using var logging = CliLogging.Create(verbose, quiet);
        await using var context = new Context(logging);
        await using var client = new MajordomoClient(endpoint, options, context);
        using var reply = await client.RequestAsync(service, request, cancellationToken);
        using var output = Console.OpenStandardOutput();
        await output.WriteAsync(codec.Encode(reply), cancellationToken);
        return 0;
    }

    private static double ParseSeconds(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return seconds;
        }

        result.AddError($"--timeout takes a number of seconds above 0, not '{text}'");
        return 0;
    }

    private static int ParseAttempts(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1)
        {
            return count;
        }

        result.AddError($"--attempts takes a whole number of at least 1, not '{text}'");
        return 0;
    }
}
