using System.CommandLine;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary><c>baton send</c> and <c>baton recv</c>: socat for ZeroMQ.</summary>
internal static class SocketCommands
{
    private static readonly Option<string> s_type = new("--type") { Description = "Socket type (PUSH, PULL, PUB, SUB, REQ, REP, DEALER, ROUTER, PAIR, XPUB, XSUB), any case.", Required = true };
    private static readonly Option<string?> s_bind = new("--bind") { Description = "Endpoint to bind, e.g. tcp://*:5555 or ipc:///tmp/feed." };
    private static readonly Option<string?> s_connect = new("--connect") { Description = "Endpoint to connect to, e.g. tcp://127.0.0.1:5555." };
    private static readonly Option<int?> s_count = new("--count") { Description = "Number of messages." };

    public static Command CreateSend()
    {
        var frames = new Argument<string[]>("FRAME") { Description = "Frames of the message to send; without any, each line of standard input is a message (frames split at tabs).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("send", "Send a message N times, or each line of standard input.") { s_type, s_bind, s_connect, s_count, frames };
        command.SetAction((result, cancellationToken) => Guard(() => SendAsync(result, result.GetValue(frames) ?? [], cancellationToken)));
        return command;
    }

    public static Command CreateReceive()
    {
        var subscribe = new Option<string[]>("--subscribe") { Description = "SUB prefix (repeatable); without it a SUB receives everything." };
        var command = new Command("recv", "Print each received message on one line, frames joined by a tab.") { s_type, s_bind, s_connect, s_count, subscribe };
        command.SetAction((result, cancellationToken) => Guard(() => ReceiveAsync(result, result.GetValue(subscribe) ?? [], cancellationToken)));
        return command;
    }

    private static async Task<int> SendAsync(ParseResult result, string[] frames, CancellationToken cancellationToken)
    {
        var count = Count(result, defaultCount: 1);
        // Every message must reach the wire before we exit, however long the peer takes.
        await using var socket = Open(result, new SocketOptions { Linger = Timeout.InfiniteTimeSpan }, out var bound);
        if (!IsSender(socket.Type))
        {
            throw new CliFailure($"a {socket.Type.ToString().ToUpperInvariant()} socket cannot send");
        }

        if (socket is PubSocket publisher)
        {
            // A publisher drops what nobody subscribed to yet: wait for a subscription, not just a peer.
            await publisher.WaitForSubscriberAsync(cancellationToken);
        }
        else if (bound)
        {
            await socket.WaitForPeerAsync(cancellationToken);
        }

        var output = Output();
        if (frames.Length > 0)
        {
            for (var i = 0; i < count; i++)
            {
                await SendOneAsync(socket, frames, output, cancellationToken);
            }

            return 0;
        }

        while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
        {
            await SendOneAsync(socket, line.Split('\t'), output, cancellationToken);
        }

        return 0;
    }

    private static async Task SendOneAsync(ZmqSocket socket, string[] frames, TextWriter output, CancellationToken cancellationToken)
    {
        await socket.SendAsync(new Message(frames), cancellationToken);
        if (socket.Type == ZmqSocketType.Req)
        {
            using var reply = await socket.ReceiveAsync(cancellationToken);
            await output.WriteLineAsync(reply.ToString());
        }
    }

    private static async Task<int> ReceiveAsync(ParseResult result, string[] prefixes, CancellationToken cancellationToken)
    {
        var count = Count(result, defaultCount: -1);
        await using var socket = Open(result, new SocketOptions { Linger = TimeSpan.FromSeconds(5) }, out _);
        if (!IsReceiver(socket.Type))
        {
            throw new CliFailure($"a {socket.Type.ToString().ToUpperInvariant()} socket cannot receive");
        }

        if (socket is SubSocket sub and not XSubSocket)
        {
            foreach (var prefix in prefixes.Length == 0 ? [""] : prefixes)
            {
                sub.Subscribe(prefix);
            }
        }
        else if (prefixes.Length > 0)
        {
            throw new CliFailure("--subscribe applies to SUB sockets only");
        }

        var output = Output();
        try
        {
            for (var received = 0; count < 0 || received < count; received++)
            {
                var message = await socket.ReceiveAsync(cancellationToken);
                await output.WriteLineAsync(message.ToString());
                if (socket.Type == ZmqSocketType.Rep)
                {
                    await socket.SendAsync(message, cancellationToken);
                }
                else
                {
                    message.Dispose();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted (Ctrl+C, SIGTERM): a normal way to stop an endless recv.
        }

        return 0;
    }

    private static ZmqSocket Open(ParseResult result, SocketOptions options, out bool bound)
    {
        var typeName = result.GetValue(s_type)!;
        var bind = result.GetValue(s_bind);
        var connect = result.GetValue(s_connect);
        if ((bind is null) == (connect is null))
        {
            throw new CliFailure("give exactly one of --bind and --connect");
        }

        ZmqSocketType type;
        try
        {
            type = ZmqSocket.ParseType(typeName);
        }
        catch (ArgumentException)
        {
            throw new CliFailure($"unknown socket type '{typeName}'");
        }

        var socket = ZmqSocket.Create(type, options);
        try
        {
            if (bind is not null)
            {
                socket.Bind(bind);
            }
            else
            {
                socket.Connect(connect!);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        bound = bind is not null;
        return socket;
    }

    private static int Count(ParseResult result, int defaultCount)
    {
        var count = result.GetValue(s_count);
        if (count is < 1)
        {
            throw new CliFailure($"--count must be at least 1 (got {count})");
        }

        return count ?? defaultCount;
    }

    private static bool IsSender(ZmqSocketType type) => type is not (ZmqSocketType.Pull or ZmqSocketType.Sub);

    private static bool IsReceiver(ZmqSocketType type) => type is not (ZmqSocketType.Push or ZmqSocketType.Pub);

    private static TextWriter Output() => new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };

    /// <summary>Turns expected failures into one stderr line and a non-zero exit code.</summary>
    internal static async Task<int> Guard(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is CliFailure or BatonException or ArgumentException or NotSupportedException or InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"baton: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
