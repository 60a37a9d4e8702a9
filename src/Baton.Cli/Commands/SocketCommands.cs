using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Baton.Cli.Commands;

/// <summary><c>baton send</c> and <c>baton recv</c>: socat for ZeroMQ.</summary>
internal static class SocketCommands
{
    private const string TypeNames = "PAIR, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, PUSH, PULL";

    public static Command CreateSend()
    {
        var common = new CommonOptions();
        var count = new Option<int>("--count", "-n")
        {
            Description = "How many times to send the FRAMEs.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
            CustomParser = ParseCount,
        };
        var frames = new Argument<string[]>("FRAME")
        {
            Description = "Frames of the message to send, in the --format; without any, each line of standard input is a message (frames split at tabs). Put '--' before a frame that starts with '-'.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("send", "Send a message N times, or each line of standard input; REQ prints the replies.")
        {
            common.Type, common.Bind, common.Connect, count, common.Format, common.Verbose, common.Quiet, frames,
        };
        common.Validate(command, mustSend: true);
        common.Security.AddTo(command);
        command.SetAction((result, cancellationToken) => Guard(() => SendAsync(result, common, result.GetValue(count), result.GetValue(frames) ?? [], cancellationToken)));
        return command.WithExamples(
            "baton send -t push -c tcp://127.0.0.1:5555 hello world       one message of two frames",
            "baton send -t push -c tcp://127.0.0.1:5555 -n 1000 tick      the same message 1000 times",
            "tail -f app.log | baton send -t pub -b ipc:///tmp/log.sock    one message per line",
            "baton send -t req -c tcp://127.0.0.1:5555 -- -1               a frame that starts with '-'",
            "baton send -t dealer -c tcp://127.0.0.1:5555 -f hex 00ff      frames as hexadecimal",
            "baton send -t push -c tcp://host:5555 --curve-client keys/me.key_secret --curve-serverkey keys/server.key hi");
    }

    public static Command CreateReceive()
    {
        var common = new CommonOptions();
        var count = new Option<int?>("--count", "-n")
        {
            Description = "Stop after this many messages [default: until interrupted].",
            HelpName = "N",
            CustomParser = result => ParseCount(result),
        };
        var subscribe = new Option<string[]>("--subscribe", "-s")
        {
            Description = "SUB: receive messages that start with this prefix (repeatable) [default: everything].",
            HelpName = "PREFIX",
        };
        var command = new Command("recv", "Print each received message on one line; REP echoes requests.")
        {
            common.Type, common.Bind, common.Connect, count, subscribe, common.Format, common.Verbose, common.Quiet,
        };
        common.Validate(command, mustSend: false);
        common.Security.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(subscribe) is not null && common.TypeIn(result) is { } type && type != ZmqSocketType.Sub)
            {
                result.AddError("--subscribe applies to SUB sockets only");
            }
        });
        command.SetAction((result, cancellationToken) => Guard(() => ReceiveAsync(result, common, result.GetValue(count), result.GetValue(subscribe) ?? [], cancellationToken)));
        return command.WithExamples(
            "baton recv -t pull -b tcp://127.0.0.1:5555                    print every message until Ctrl+C",
            "baton recv -t sub -c ipc:///tmp/log.sock -s ERROR -n 10        ten messages that start with ERROR",
            "baton recv -t rep -b tcp://*:5555                              echo each request back",
            "baton recv -t router -b tcp://*:5555 -f json                   identities are bytes: json keeps them",
            "baton recv -t pull -b tcp://*:5555 --curve-server keys/server.key_secret --curve-allow keys/clients");
    }

    private static async Task<int> SendAsync(ParseResult result, CommonOptions common, int count, string[] arguments, CancellationToken cancellationToken)
    {
        var codec = new FrameCodec(result.GetValue(common.Format));
        var frames = new Frame[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            try
            {
                frames[i] = codec.DecodeFrame(arguments[i]);
            }
            catch (FormatException e)
            {
                throw new CliFailure($"FRAME {i + 1}: {e.Message}", CliRunner.UsageErrorExitCode);
            }
        }

        await using var session = await common.CreateSessionAsync(result, cancellationToken);

        // Every message must reach the wire before we exit, however long the peer takes (an interruption cuts this short).
        var socket = common.Open(result, session, new SocketOptions { Linger = Timeout.InfiniteTimeSpan }, out var bound);
        if (socket is PubSocket publisher)
        {
            // A publisher drops what nobody subscribed to yet: wait for a subscription, not just a peer.
            await publisher.WaitForSubscriberAsync(cancellationToken);
        }
        else if (bound)
        {
            await socket.WaitForPeerAsync(cancellationToken);
        }
        else
        {
            // With PLAIN or CURVE: a refused handshake is an error, not a message silently never delivered.
            await session.WaitForHandshakeAsync();
        }

        using var output = OpenStandardOutput();
        if (frames.Length > 0)
        {
            for (var i = 0; i < count; i++)
            {
                await SendOneAsync(socket, frames, codec, output, cancellationToken);
            }

            return 0;
        }

        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        for (var line = 1; ; line++)
        {
            // WaitAsync: a console read does not observe the token once it has started.
            var text = await input.ReadLineAsync(cancellationToken).AsTask().WaitAsync(cancellationToken);
            if (text is null)
            {
                return 0;
            }

            Frame[] message;
            try
            {
                message = codec.DecodeLine(text);
            }
            catch (FormatException e)
            {
                throw new CliFailure($"standard input, line {line}: {e.Message}");
            }

            await SendOneAsync(socket, message, codec, output, cancellationToken);
        }
    }

    private static async Task SendOneAsync(ZmqSocket socket, Frame[] frames, FrameCodec codec, Stream output, CancellationToken cancellationToken)
    {
        await socket.SendAsync(new Message(frames), cancellationToken);
        if (socket.Type == ZmqSocketType.Req)
        {
            using var reply = await socket.ReceiveAsync(cancellationToken);
            await WriteAsync(output, codec.Encode(reply), cancellationToken);
        }
    }

    /// <summary>
    /// Writes a line to stdout. A reader that went away (<c>| head -1</c>) ends the command quietly
    /// with 141, the exit code of a program SIGPIPE ended, as .NET ignores SIGPIPE itself.
    /// </summary>
    private static async Task WriteAsync(Stream output, ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        try
        {
            await output.WriteAsync(line, cancellationToken);
        }
        catch (IOException)
        {
            throw new CliFailure("", StdoutClosedExitCode);
        }
    }

    private const int StdoutClosedExitCode = 141;

    /// <summary>
    /// Stdout as a plain file stream on Unix: .NET's console stream pretends a write to a closed pipe
    /// succeeded, so `baton recv | head -1` would never end; a file stream reports EPIPE.
    /// </summary>
    private static Stream OpenStandardOutput() => OperatingSystem.IsWindows()
        ? Console.OpenStandardOutput()
        : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    private static async Task<int> ReceiveAsync(ParseResult result, CommonOptions common, int? count, string[] prefixes, CancellationToken cancellationToken)
    {
        var codec = new FrameCodec(result.GetValue(common.Format));
        await using var session = await common.CreateSessionAsync(result, cancellationToken);
        var socket = common.Open(result, session, new SocketOptions { Linger = TimeSpan.FromSeconds(5) }, out _);
        if (socket is SubSocket sub and not XSubSocket)
        {
            foreach (var prefix in prefixes.Length == 0 ? [""] : prefixes)
            {
                sub.Subscribe(prefix);
            }
        }

        using var output = OpenStandardOutput();
        var handshake = session.WaitForHandshakeAsync();
        for (var received = 0; count is null || received < count; received++)
        {
            Message message;
            if (!handshake.IsCompleted)
            {
                // Until the first handshake: a refusal ends the command with its reason.
                using var refused = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var receiving = socket.ReceiveAsync(refused.Token).AsTask();
                if (await Task.WhenAny(receiving, handshake) == handshake && handshake.IsFaulted)
                {
                    await refused.CancelAsync();
                    try
                    {
                        (await receiving).Dispose();
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    await handshake;
                }

                message = await receiving;
            }
            else
            {
                message = await socket.ReceiveAsync(cancellationToken);
            }

            try
            {
                // One write per message, unbuffered: a reader downstream sees each line as it comes.
                await WriteAsync(output, codec.Encode(message), cancellationToken);
            }
            catch
            {
                message.Dispose();
                throw;
            }

            if (socket.Type == ZmqSocketType.Rep)
            {
                await socket.SendAsync(message, cancellationToken);
            }
            else
            {
                message.Dispose();
            }
        }

        return 0;
    }

    private static int ParseCount(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1)
        {
            return count;
        }

        result.AddError($"--count takes a whole number of at least 1, not '{text}'");
        return 0;
    }

    /// <summary>Turns expected failures into one stderr line and a non-zero exit code.</summary>
    internal static async Task<int> Guard(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (CliFailure e)
        {
            if (e.Message.Length > 0)
            {
                await Console.Error.WriteLineAsync($"baton: {e.Message}");
            }

            return e.ExitCode;
        }
        catch (Exception e) when (e is BatonException or ArgumentException or NotSupportedException or InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"baton: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Interrupted: the runner reports the signal's exit code.
            return 130;
        }
    }

    /// <summary>The options send and recv share; an instance per command, as their defaults differ.</summary>
    private sealed class CommonOptions
    {
        public Option<ZmqSocketType> Type { get; } = new("--type", "-t")
        {
            Description = $"Socket type, any case: {TypeNames}.",
            HelpName = "TYPE",
            CustomParser = ParseType,
        };

        public Option<string?> Bind { get; } = new("--bind", "-b") { Description = "Endpoint to bind, e.g. tcp://*:5555 or ipc:///tmp/feed.", HelpName = "ENDPOINT" };

        public Option<string?> Connect { get; } = new("--connect", "-c") { Description = "Endpoint to connect to, e.g. tcp://127.0.0.1:5555.", HelpName = "ENDPOINT" };

        public Option<FrameFormat> Format { get; } = new("--format", "-f")
        {
            Description = "How frames are written: text (tabs between frames; \\\\ \\t \\n \\r \\xHH escapes), hex, base64, or json (an array per message; bytes that are not UTF-8 as {\"base64\": \"...\"}) [default: text].",
            HelpName = "text|hex|base64|json",
            CustomParser = ParseFormat,
        };

        public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log everything Baton does (connections, retries) on stderr." };

        public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Log nothing, not even warnings." };

        /// <summary>The socket type, if given and valid.</summary>
        public ZmqSocketType? TypeIn(CommandResult result)
        {
            if (result.GetResult(Type) is not { Tokens: [var token] })
            {
                return null;
            }

            try
            {
                return ZmqSocket.ParseType(token.Value);
            }
            catch (ArgumentException)
            {
                // Reported by the option's own parser.
                return null;
            }
        }

        /// <summary>Checks at parse time what makes the command line unusable, so each is a usage error (exit 2).</summary>
        public void Validate(Command command, bool mustSend)
        {
            command.Validators.Add(result =>
            {
                if (result.GetResult(Type) is not { } typeResult)
                {
                    result.AddError($"missing --type: the socket type, one of {TypeNames}");
                }
                else if (typeResult.Tokens.Count == 0)
                {
                    result.AddError($"--type needs a value: one of {TypeNames}");
                }
                else if (TypeIn(result) is not { } type)
                {
                    // Also where the parser never ran the option's own check ("-t -c ...": -c taken as the type).
                    result.AddError($"unknown socket type '{typeResult.Tokens[0].Value}'; expected one of {TypeNames}");
                }
                else if (mustSend ? !CanSend(type) : !CanReceive(type))
                {
                    result.AddError($"a {type.ToString().ToUpperInvariant()} socket cannot {(mustSend ? "send" : "receive")}");
                }

                var bind = result.GetResult(Bind) is not null;
                var connect = result.GetResult(Connect) is not null;
                if (bind == connect)
                {
                    result.AddError($"give exactly one of --bind and --connect ({(bind ? "both" : "neither")} given)");
                }

                if (result.GetResult(Verbose) is not null && result.GetResult(Quiet) is not null)
                {
                    result.AddError("give --verbose or --quiet, not both");
                }
            });
        }

        /// <summary>--curve-server, --curve-client, --plain...: the socket's mechanism and who gets in.</summary>
        public SecurityFlags Security { get; } = new();

        /// <summary>The command's context and logging, with its ZAP authenticator started if the security flags need one.</summary>
        public async Task<SocketSession> CreateSessionAsync(ParseResult result, CancellationToken cancellationToken)
        {
            var security = Security.Resolve(result);
            var session = new SocketSession(result.GetValue(Verbose), result.GetValue(Quiet), cancellationToken) { Security = security.Single };
            try
            {
                session.Authenticator = await security.StartAuthenticatorAsync(session.Context, result.GetValue(Quiet), cancellationToken);
                return session;
            }
            catch
            {
                await session.DisposeAsync();
                throw;
            }
        }

        public ZmqSocket Open(ParseResult result, SocketSession session, SocketOptions options, out bool bound)
        {
            var bind = result.GetValue(Bind);
            bound = bind is not null;
            return session.Open(result.GetValue(Type), options with { Security = session.Security }, bind, result.GetValue(Connect));
        }

        private static bool CanSend(ZmqSocketType type) => type is not (ZmqSocketType.Pull or ZmqSocketType.Sub);

        private static bool CanReceive(ZmqSocketType type) => type is not (ZmqSocketType.Push or ZmqSocketType.Pub);

        private static ZmqSocketType ParseType(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";

            // ParseType, not Enum.Parse: no numbers, and the wire names (XPUB) as well as the enum's.
            try
            {
                return ZmqSocket.ParseType(text);
            }
            catch (ArgumentException)
            {
                result.AddError($"unknown socket type '{text}'; expected one of {TypeNames}");
                return default;
            }
        }

        private static FrameFormat ParseFormat(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            foreach (var format in Enum.GetValues<FrameFormat>())
            {
                if (string.Equals(format.ToString(), text, StringComparison.OrdinalIgnoreCase))
                {
                    return format;
                }
            }

            result.AddError($"unknown format '{text}'; expected text, hex, base64 or json");
            return default;
        }
    }
}
