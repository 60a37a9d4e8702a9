using System.CommandLine;
using System.CommandLine.Parsing;
using Baton.Patterns;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton proxy</c>: libzmq's zmq_proxy_steerable between two sockets given as CZMQ writes them,
/// <c>TYPE@ENDPOINT</c> to bind and <c>TYPE&gt;ENDPOINT</c> to connect.
/// </summary>
internal static class ProxyCommand
{
    private const string Form = "TYPE@ENDPOINT to bind or TYPE>ENDPOINT to connect";

    /// <summary>How long an interrupted proxy lets its sockets close (ports and ipc files are freed at once).</summary>
    private static readonly TimeSpan s_interruptedClose = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        var frontend = SocketOption("--frontend", $"The socket facing clients: {Form} (e.g. ROUTER@tcp://*:5559). TYPE is any case.", defaultType: null);
        var backend = SocketOption("--backend", $"The socket facing services: {Form} (e.g. DEALER@tcp://*:5560). Quote '>' for the shell.", defaultType: null);
        var capture = SocketOption("--capture", "Gets a copy of every message forwarded, both ways: ENDPOINT (a PUB that binds: tap it with 'baton recv -t sub') or TYPE@ENDPOINT / TYPE>ENDPOINT with PUB, XPUB, PUSH, PAIR or DEALER.", ZmqSocketType.Pub);
        var control = SocketOption("--control", "Takes PAUSE, RESUME, TERMINATE and STATISTICS: ENDPOINT (a REP that binds: 'baton send -t req -c ENDPOINT PAUSE') or TYPE@ENDPOINT / TYPE>ENDPOINT with REP or PAIR.", ZmqSocketType.Rep);
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log everything Baton does (connections, retries, commands) on stderr." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log nothing, not even warnings." };
        var security = new SecurityFlags(SecurityScope.BoundServesConnectedIsClient);
        var command = new Command("proxy", "Forward messages between a frontend and a backend socket, both ways, until interrupted or told TERMINATE; print each socket as TYPE@ENDPOINT (the port bound) on stdout. Security flags: the server ones apply to every socket it binds, the client ones to every socket it connects (--capture and --control included).")
        {
            frontend, backend, capture, control, verbose, quiet,
        };
        security.AddTo(command);
        command.Validators.Add(result =>
        {
            var front = Required(result, frontend);
            var back = Required(result, backend);
            if (front is not null && back is not null && !CanForward(front.Type, back.Type))
            {
                result.AddError($"a {Name(front.Type)} frontend and a {Name(back.Type)} backend cannot forward anything: one side must receive what the other can send");
            }

            if (Given(result, capture, ZmqSocketType.Pub) is { } tap && !CanSend(tap.Type))
            {
                result.AddError($"--capture: a {Name(tap.Type)} socket cannot send; use PUB, XPUB, PUSH, PAIR or DEALER");
            }

            if (Given(result, control, ZmqSocketType.Rep) is { } steer && steer.Type is not (ZmqSocketType.Rep or ZmqSocketType.Pair))
            {
                result.AddError($"--control: a {Name(steer.Type)} socket cannot take commands; use REP or PAIR");
            }

            if (result.GetResult(verbose) is not null && result.GetResult(quiet) is not null)
            {
                result.AddError("give --verbose or --quiet, not both");
            }

            if (front is not null && back is not null)
            {
                var captured = Given(result, capture, ZmqSocketType.Pub);
                var steered = Given(result, control, ZmqSocketType.Rep);
                var anyBound = front.Bind || back.Bind || captured?.Bind == true || steered?.Bind == true;
                var anyConnected = !front.Bind || !back.Bind || captured?.Bind == false || steered?.Bind == false;
                foreach (var problem in security.CheckSockets(result, anyBound, anyConnected))
                {
                    result.AddError(problem);
                }
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(() => RunAsync(
            result.GetValue(frontend)!, result.GetValue(backend)!, result.GetValue(capture), result.GetValue(control),
            security.Resolve(result), result.GetValue(verbose), result.GetValue(quiet), cancellationToken)));
        return command.WithExamples(
            "baton proxy --frontend ROUTER@tcp://*:5559 --backend DEALER@tcp://*:5560     the guide's rrbroker: REQ clients, REP workers",
            "baton proxy --frontend XSUB@tcp://*:5557 --backend XPUB@tcp://*:5558         a pub-sub forwarder (the guide's wuproxy)",
            "baton proxy --frontend PULL@tcp://*:5557 --backend 'PUSH>tcp://sink:5558'    a streamer that connects onwards",
            "baton proxy ... --capture tcp://127.0.0.1:5599                                then: baton recv -t sub -c tcp://127.0.0.1:5599",
            "baton proxy ... --control ipc:///tmp/proxy.ctl                               then: baton send -t req -c ipc:///tmp/proxy.ctl PAUSE",
            "baton proxy --frontend ROUTER@tcp://*:5559 --backend 'DEALER>tcp://svc:5560' --curve-server keys/proxy.key_secret --curve-allow keys/clients --curve-client keys/proxy.key_secret --curve-serverkey keys/svc.key");
    }

    private static async Task<int> RunAsync(SocketSpec frontend, SocketSpec backend, SocketSpec? capture, SocketSpec? control, CommandSecurity security, bool verbose, bool quiet, CancellationToken cancellationToken)
    {
        var logging = CliLogging.Create(verbose, quiet);
        var context = new Context(logging);
        var sockets = new List<ZmqSocket>(4);
        IAsyncDisposable? authenticator = null;
        try
        {
            // Before the sockets: a handshake must never find no authenticator where the flags asked for one.
            authenticator = await security.StartAuthenticatorAsync(context, quiet, cancellationToken);
            var lines = new List<string>(4);
            var front = Open(frontend, "frontend", context, security, sockets, lines);
            var back = Open(backend, "backend", context, security, sockets, lines);
            var tap = capture is null ? null : Open(capture, "capture", context, security, sockets, lines);
            var steer = control is null ? null : Open(control, "control", context, security, sockets, lines);

            // One line per socket, its port resolved: a script that bound port 0 reads where to connect.
            foreach (var line in lines)
            {
                await Console.Out.WriteLineAsync(line);
            }

            await Console.Out.FlushAsync(cancellationToken);
            await new Proxy(front, back, tap, steer).RunAsync(cancellationToken);
            return 0;
        }
        finally
        {
            var closing = Task.WhenAll(sockets.ConvertAll(socket => socket.DisposeAsync().AsTask()));
            await closing.WaitAsync(cancellationToken.IsCancellationRequested ? s_interruptedClose : Timeout.InfiniteTimeSpan).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (closing.IsCompleted)
            {
                if (authenticator is not null)
                {
                    await authenticator.DisposeAsync();
                }

                await context.DisposeAsync();
            }

            logging.Dispose();
        }
    }

    private static ZmqSocket Open(SocketSpec spec, string role, Context context, CommandSecurity security, List<ZmqSocket> sockets, List<string> lines)
    {
        // A short linger: a proxy being stopped should not hold the terminal for a peer that is gone.
        var options = new SocketOptions { Linger = TimeSpan.FromSeconds(1), Security = security.For(spec.Bind) };
        var socket = ZmqSocket.Create(spec.Type, options, context);
        sockets.Add(socket);
        try
        {
            if (spec.Bind)
            {
                lines.Add($"{role} {Name(spec.Type)}@{socket.Bind(spec.Endpoint)}");
            }
            else
            {
                socket.Connect(spec.Endpoint);
                lines.Add($"{role} {Name(spec.Type)}>{spec.Endpoint}");
            }
        }
        catch (BatonException e)
        {
            throw new CliFailure($"{role}: {e.Message}");
        }

        return socket;
    }

    private static Option<SocketSpec?> SocketOption(string name, string description, ZmqSocketType? defaultType) => new(name)
    {
        Description = description,
        HelpName = defaultType is null ? "TYPE@ENDPOINT" : "[TYPE@]ENDPOINT",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            var spec = TryParse(text, name, defaultType, out var error);
            if (spec is null)
            {
                result.AddError(error!);
            }

            return spec;
        },
    };

    private static SocketSpec? Required(CommandResult result, Option<SocketSpec?> option)
    {
        if (result.GetResult(option) is null)
        {
            result.AddError($"missing {option.Name}: {Form}");
            return null;
        }

        return Given(result, option, null);
    }

    /// <summary>The option's socket if it was given and parses (the option's own parser reports what does not; GetValue would throw).</summary>
    private static SocketSpec? Given(CommandResult result, Option<SocketSpec?> option, ZmqSocketType? defaultType)
        => result.GetResult(option) is { Tokens: [var token] } ? TryParse(token.Value, option.Name, defaultType, out _) : null;

    /// <summary>
    /// TYPE@ENDPOINT binds, TYPE&gt;ENDPOINT connects (CZMQ's zsock convention); with a default type, a
    /// bare ENDPOINT binds a socket of that type.
    /// </summary>
    private static SocketSpec? TryParse(string text, string name, ZmqSocketType? defaultType, out string? error)
    {
        error = null;
        var split = text.AsSpan().IndexOfAny('@', '>');
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (defaultType is { } type && (split < 0 || (scheme >= 0 && scheme < split)))
        {
            // A bare endpoint ('@' or '>' may still occur in an ipc path).
            if (text.Length > 0)
            {
                return new SocketSpec(type, text, Bind: true);
            }

            error = $"{name} needs a value: [TYPE@]ENDPOINT";
            return null;
        }

        if (split <= 0 || (scheme >= 0 && scheme < split))
        {
            error = $"{name} takes {Form}, not '{text}'";
            return null;
        }

        ZmqSocketType parsed;
        try
        {
            parsed = ZmqSocket.ParseType(text[..split]);
        }
        catch (ArgumentException)
        {
            error = $"{name}: unknown socket type '{text[..split]}'; expected one of PAIR, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, PUSH, PULL";
            return null;
        }

        var endpoint = text[(split + 1)..];
        if (endpoint.Length == 0)
        {
            error = $"{name}: no endpoint after '{text[split]}' in '{text}'";
            return null;
        }

        return new SocketSpec(parsed, endpoint, Bind: text[split] == '@');
    }

    private static bool CanForward(ZmqSocketType frontend, ZmqSocketType backend) =>
        (CanReceive(frontend) && CanSend(backend)) || (CanReceive(backend) && CanSend(frontend));

    private static bool CanSend(ZmqSocketType type) => type is not (ZmqSocketType.Pull or ZmqSocketType.Sub);

    private static bool CanReceive(ZmqSocketType type) => type is not (ZmqSocketType.Push or ZmqSocketType.Pub);

    private static string Name(ZmqSocketType type) => type.ToString().ToUpperInvariant();

    /// <summary>A socket of the command line: its type, endpoint, and whether it binds or connects.</summary>
    private sealed record SocketSpec(ZmqSocketType Type, string Endpoint, bool Bind);
}
