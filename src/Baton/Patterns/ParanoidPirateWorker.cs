using System.Threading.Channels;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// The Paranoid Pirate worker (the guide's ppworker, RFC 6/PPP): a DEALER that serves requests from a
/// <see cref="ParanoidPirateQueue"/> (or any 6/PPP queue) with a handler of yours, says READY when it
/// connects, heartbeats the queue, and reconnects on a new socket when the queue falls silent, waiting
/// <see cref="ParanoidPirateOptions.ReconnectInterval"/> and twice as long each further time, up to
/// <see cref="ParanoidPirateOptions.ReconnectIntervalMax"/>.
/// </summary>
/// <remarks>
/// <para>The handler runs one request at a time, apart from the heartbeat loop, so a long request does
/// not make the queue think the worker is dead. It owns the request (dispose it) and returns the reply,
/// which the worker sends back through the queue. A handler that throws is logged and its request gets
/// no reply: the client's retry takes care of it (the worker says READY again, so the queue knows it is
/// free). A request without an envelope is dropped the same way. A reply whose connection was replaced
/// meanwhile is dropped: the client retries.</para>
/// </remarks>
public sealed class ParanoidPirateWorker
{
    private static readonly byte[] s_ready = [0x01];
    private static readonly byte[] s_heartbeat = [0x02];

    private readonly Func<Message, CancellationToken, ValueTask<Message>> _handler;
    private readonly Context _context;
    private readonly ILogger _logger;
    private int _running;
    private int _connections;

    /// <summary>Creates a worker for the queue at <paramref name="endpoint"/>; it connects when it runs.</summary>
    /// <param name="endpoint">The queue's backend, e.g. <c>tcp://localhost:5556</c>.</param>
    /// <param name="handler">Turns a request (which it owns) into the reply.</param>
    /// <param name="options">Heartbeat interval, liveness and reconnect back-off; <see cref="ParanoidPirateOptions.Default"/> if null.</param>
    /// <param name="context">The context of the worker's sockets (its logging is the worker's); <see cref="Context.Default"/> if null.</param>
    public ParanoidPirateWorker(string endpoint, Func<Message, CancellationToken, ValueTask<Message>> handler, ParanoidPirateOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        Endpoint = endpoint;
        _handler = handler;
        Options = options ?? ParanoidPirateOptions.Default;
        _context = context ?? Context.Default;
        _logger = _context.LoggerFactory.CreateLogger<ParanoidPirateWorker>();
    }

    /// <summary>The queue's endpoint.</summary>
    public string Endpoint { get; }

    /// <summary>Heartbeat interval, liveness and reconnect back-off.</summary>
    public ParanoidPirateOptions Options { get; }

    /// <summary>How many times the worker has connected (1 after its first connection; more after reconnects).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Serves requests until <paramref name="cancellationToken"/> is cancelled; the worker's socket closes then.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The worker is running already.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The worker is running already.");
        }

        // Requests wait here for the handler, so the receive loop keeps heartbeating while it works.
        var requests = Channel.CreateUnbounded<(DealerSocket Socket, Frame[] Envelope, Message Body)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var handling = Task.Run(() => HandleAsync(requests.Reader, stop.Token), CancellationToken.None);
        try
        {
            var reconnectDelay = Options.ReconnectInterval;
            while (true)
            {
                var healthy = await ServeConnectionAsync(requests.Writer, cancellationToken).ConfigureAwait(false);
                if (healthy)
                {
                    reconnectDelay = Options.ReconnectInterval;
                }

                ProxyLog.WorkerReconnecting(_logger, Endpoint, Options.Liveness, (long)reconnectDelay.TotalMilliseconds);
                await Task.Delay(reconnectDelay, cancellationToken).ConfigureAwait(false);
                reconnectDelay = TimeSpan.FromTicks(Math.Min(reconnectDelay.Ticks * 2, Options.ReconnectIntervalMax.Ticks));
            }
        }
        finally
        {
            requests.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            await handling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (requests.Reader.TryRead(out var left))
            {
                left.Body.Dispose();
            }

            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>One connection: READY, then requests and heartbeats until the queue is silent for <see cref="ParanoidPirateOptions.Liveness"/> intervals.</summary>
    /// <returns>Whether the queue was heard on this connection (the back-off starts over if so).</returns>
    private async Task<bool> ServeConnectionAsync(ChannelWriter<(DealerSocket, Frame[], Message)> requests, CancellationToken cancellationToken)
    {
        // Linger zero: a connection given up on discards what it still holds; the clients retry.
        await using var socket = new DealerSocket(new SocketOptions { Linger = TimeSpan.Zero, Security = Options.Security }, _context);
        socket.Connect(Endpoint);
        Interlocked.Increment(ref _connections);
        await socket.SendAsync(new Message(new Frame(s_ready)), cancellationToken).ConfigureAwait(false);
        var heard = false;
        var liveness = Options.Liveness;
        var interval = (long)Options.HeartbeatInterval.TotalMilliseconds;
        var heartbeatAt = Environment.TickCount64 + interval;
        while (true)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Max(0, heartbeatAt - Environment.TickCount64));
            if (await socket.TryReceiveAsync(wait, cancellationToken).ConfigureAwait(false) is { } message)
            {
                liveness = Options.Liveness;
                heard = true;
                if (message.Count == 1 && message.GetSpan(0).SequenceEqual(s_heartbeat))
                {
                    message.Dispose();
                }
                else if (SplitEnvelope(message) is { } envelope)
                {
                    // A request: [client envelope..., "", body...]; the envelope goes back with the reply.
                    requests.TryWrite((socket, envelope, message));
                }
                else
                {
                    // The queue counts us busy until we answer: READY again says we are free.
                    ProxyLog.WorkerMalformed(_logger, $"a message of {message.Count} frame(s) that is neither a request ([envelope, \"\", body]) nor HEARTBEAT");
                    message.Dispose();
                    await socket.SendAsync(new Message(new Frame(s_ready)), cancellationToken).ConfigureAwait(false);
                }
            }

            var now = Environment.TickCount64;
            if (now >= heartbeatAt)
            {
                // An interval passed: one more of silence unless the queue spoke during it.
                if (--liveness <= 0)
                {
                    return heard;
                }

                // Never waits: a queue that reads nothing must not stop this loop from counting its silence.
                var heartbeat = new Message(new Frame(s_heartbeat));
                socket.TrySend(heartbeat, TimeSpan.Zero);
                heartbeat.Dispose();
                heartbeatAt = now + interval;
            }
        }
    }

    /// <summary>Takes the frames up to and including the first empty one off <paramref name="message"/>; null if there is none.</summary>
    private static Frame[]? SplitEnvelope(Message message)
    {
        var delimiter = -1;
        for (var i = 0; i < message.Count - 1; i++)
        {
            if (message.GetSpan(i).IsEmpty)
            {
                delimiter = i;
                break;
            }
        }

        if (delimiter < 1)
        {
            return null;
        }

        var envelope = new Frame[delimiter + 1];
        for (var i = 0; i < envelope.Length; i++)
        {
            envelope[i] = message.Pop();
        }

        return envelope;
    }

    private async Task HandleAsync(ChannelReader<(DealerSocket Socket, Frame[] Envelope, Message Body)> requests, CancellationToken cancellationToken)
    {
        await foreach (var (socket, envelope, body) in requests.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Message reply;
            try
            {
                reply = await _handler(body, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                ProxyLog.HandlerFailed(_logger, e);
                body.Dispose();
                await TrySendAsync(socket, new Message(new Frame(s_ready)), cancellationToken).ConfigureAwait(false);
                continue;
            }

            for (var i = envelope.Length - 1; i >= 0; i--)
            {
                reply.Push(envelope[i]);
            }

            await TrySendAsync(socket, reply, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends on the connection the request came from; if it was replaced while the handler ran, the message is dropped (the client retries).</summary>
    private static async ValueTask TrySendAsync(DealerSocket socket, Message message, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            message.Dispose();
        }
    }
}
