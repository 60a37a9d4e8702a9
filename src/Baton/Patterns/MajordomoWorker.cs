using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using static Baton.Patterns.MajordomoProtocol;

namespace Baton.Patterns;

/// <summary>
/// A Majordomo worker (7/MDP, MDPW01): it connects to a broker, announces its service, and answers
/// each request with a handler. It heartbeats the broker (also while the handler runs), and when the
/// broker falls silent or says DISCONNECT it reconnects with a new socket, announcing itself again.
/// </summary>
/// <example>
/// An echo service in one statement:
/// <code>
/// await MajordomoWorker.RunAsync("tcp://127.0.0.1:5555", "echo", (request, ct) => ValueTask.FromResult(request), stopping);
/// </code>
/// </example>
public sealed class MajordomoWorker : IAsyncDisposable
{
    private readonly MajordomoWorkerOptions _options;
    private readonly Context? _context;
    private readonly ILogger _logger;
    private readonly Frame _serviceFrame;
    private DealerSocket? _socket;
    private int _running;

    // The last client address seen, as an array of our own: replies to the same client reuse it.
    private byte[] _lastClient = [];

    /// <summary>Creates a worker for <paramref name="service"/> at the broker at <paramref name="brokerEndpoint"/>; it connects when it runs.</summary>
    /// <param name="brokerEndpoint">Where the broker is bound, such as <c>tcp://127.0.0.1:5555</c>.</param>
    /// <param name="service">The service's name: not empty, not starting with "mmi." (the broker's own).</param>
    /// <param name="options">Heartbeat and reconnect settings; null for the defaults.</param>
    /// <param name="context">The context whose logger factory and inproc registry to use; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentException">The endpoint or the service name is empty, or the name starts with "mmi.".</exception>
    public MajordomoWorker(string brokerEndpoint, string service, MajordomoWorkerOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(brokerEndpoint);
        ArgumentException.ThrowIfNullOrEmpty(service);
        if (service.StartsWith("mmi.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Service names starting with 'mmi.' belong to the broker, not to workers: '{service}'.", nameof(service));
        }

        BrokerEndpoint = brokerEndpoint;
        Service = service;
        _options = options ?? MajordomoWorkerOptions.Default;
        _context = context;
        _logger = (context ?? Context.Default).LoggerFactory.CreateLogger("Baton.Patterns.MajordomoWorker");
        _serviceFrame = Frame.FromString(service);
    }

    /// <summary>The broker's endpoint.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>The service this worker offers.</summary>
    public string Service { get; }

    /// <summary>
    /// Connects a worker for <paramref name="service"/> and serves requests with <paramref name="handler"/>
    /// until <paramref name="cancellationToken"/> is cancelled (see <see cref="RunAsync(Func{Message, CancellationToken, ValueTask{Message}}, CancellationToken)"/>).
    /// </summary>
    /// <inheritdoc cref="MajordomoWorker(string, string, MajordomoWorkerOptions?, Context?)" path="/exception"/>
    public static async Task RunAsync(string brokerEndpoint, string service, Func<Message, CancellationToken, ValueTask<Message>> handler, CancellationToken cancellationToken = default)
    {
        await using var worker = new MajordomoWorker(brokerEndpoint, service);
        await worker.RunAsync(handler, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves requests until <paramref name="cancellationToken"/> is cancelled, then tells the broker
    /// DISCONNECT and ends with <see cref="OperationCanceledException"/> (cancelling is how a worker stops).
    /// </summary>
    /// <param name="handler">
    /// Turns a request (its body frames) into the reply. The request message is the handler's: it may
    /// return it as the reply (an echo), or dispose it. The handler runs for one request at a time. If
    /// it throws, the request gets no reply (the client's retry goes to another worker): the failure is
    /// logged, and the worker reconnects as a new worker.
    /// </param>
    /// <param name="cancellationToken">Stops the worker; also given to the handler.</param>
    /// <exception cref="InvalidOperationException">The worker is running already.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task RunAsync(Func<Message, CancellationToken, ValueTask<Message>> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException($"The Majordomo worker for '{Service}' is running already.");
        }

        try
        {
            var reconnectDelay = TimeSpan.Zero;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (reconnectDelay > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(reconnectDelay, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                var outcome = await ServeAsync(handler, cancellationToken).ConfigureAwait(false);
                reconnectDelay = outcome == Outcome.BrokerLost ? _options.ReconnectInterval : TimeSpan.Zero;
            }
        }
        finally
        {
            await CloseSocketAsync(sayDisconnect: true).ConfigureAwait(false);
            Volatile.Write(ref _running, 0);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Stops nothing by itself (cancel the run for that); closes the socket if one is left.</summary>
    public ValueTask DisposeAsync() => CloseSocketAsync(sayDisconnect: false);

    private enum Outcome
    {
        Stopped,
        BrokerLost,
        Reconnect,
    }

    /// <summary>One connection's life: READY, then requests, until the broker is lost or says DISCONNECT.</summary>
    private async Task<Outcome> ServeAsync(Func<Message, CancellationToken, ValueTask<Message>> handler, CancellationToken cancellationToken)
    {
        await CloseSocketAsync(sayDisconnect: false).ConfigureAwait(false);
        var socket = new DealerSocket(new SocketOptions { Linger = TimeSpan.FromMilliseconds(500), Security = _options.Security }, _context);
        _socket = socket;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            MajordomoLog.WorkerConnecting(_logger, Service, BrokerEndpoint);
        }

        socket.Connect(BrokerEndpoint);
        Send(socket, new Message(Frame.Empty, WorkerHeaderFrame, ReadyFrame, _serviceFrame));

        var interval = (long)_options.HeartbeatInterval.TotalMilliseconds;
        var liveness = _options.HeartbeatLiveness;
        var heartbeatAt = Environment.TickCount64 + interval;
        while (true)
        {
            Message? received;
            try
            {
                var wait = Math.Max(0, heartbeatAt - Environment.TickCount64);
                received = await socket.TryReceiveAsync(TimeSpan.FromMilliseconds(wait), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Outcome.Stopped;
            }

            if (received is { } message)
            {
                liveness = _options.HeartbeatLiveness;
                var command = Read(message);
                if (command == Request)
                {
                    if (!await HandleAsync(socket, message, handler, cancellationToken).ConfigureAwait(false))
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            return Outcome.Stopped;
                        }

                        // The broker counts this worker busy until it replies: leave, so it forgets us, and come back new.
                        Send(socket, WorkerCommand(Disconnect));
                        return Outcome.Reconnect;
                    }

                    heartbeatAt = Math.Min(heartbeatAt, Environment.TickCount64 + interval);
                }
                else if (command == Disconnect)
                {
                    MajordomoLog.WorkerToldToDisconnect(_logger, Service);
                    return Outcome.Reconnect;
                }
            }
            else if (--liveness == 0)
            {
                MajordomoLog.WorkerLostBroker(_logger, Service, BrokerEndpoint, (long)_options.ReconnectInterval.TotalMilliseconds);
                return Outcome.BrokerLost;
            }

            var now = Environment.TickCount64;
            if (now >= heartbeatAt)
            {
                Send(socket, WorkerCommand(Heartbeat));
                heartbeatAt = now + interval;
            }
        }
    }

    /// <summary>
    /// Checks a message from the broker; returns its command (the message is disposed unless it is a
    /// REQUEST, which the caller handles), or 0 for one that was dropped.
    /// </summary>
    private byte Read(Message message)
    {
        // [empty][MDPW01][command]...
        string? problem = null;
        byte command = 0;
        if (message.Count < 3 || message.GetSpan(0).Length != 0 || !message.GetSpan(1).SequenceEqual(WorkerHeader) || message.GetSpan(2).Length != 1)
        {
            problem = "not [empty][MDPW01][command]";
        }
        else
        {
            command = message.GetSpan(2)[0];
            if (command == Request && (message.Count < 5 || message.GetSpan(4).Length != 0))
            {
                problem = "a REQUEST needs a client address and an empty delimiter";
            }
            else if (command is not (Request or Heartbeat or Disconnect))
            {
                problem = $"unexpected command {CommandName(command)}";
            }
        }

        if (problem is not null)
        {
            MajordomoLog.WorkerDroppedMessage(_logger, Service, problem);
            message.Dispose();
            return 0;
        }

        if (command != Request)
        {
            message.Dispose();
        }

        return command;
    }

    /// <summary>Runs the handler on one request and sends its reply; false when the handler failed.</summary>
    private async ValueTask<bool> HandleAsync(DealerSocket socket, Message message, Func<Message, CancellationToken, ValueTask<Message>> handler, CancellationToken cancellationToken)
    {
        // [empty][MDPW01][REQUEST][client][empty][body...] -> [body...] for the handler.
        var client = ClientFrame(message.GetSpan(3));
        RemoveFront(message, 5);

        Message reply;
        try
        {
            var pending = handler(message, cancellationToken);
            reply = pending.IsCompletedSuccessfully ? pending.Result : await WhileHeartbeatingAsync(socket, pending).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                MajordomoLog.HandlerFailed(_logger, Service, e);
            }

            return false;
        }

        if (reply.IsDefault)
        {
            throw new InvalidOperationException($"The handler of Majordomo service '{Service}' returned default(Message); return a message (new Message() for an empty reply).");
        }

        // [body...] -> [empty][MDPW01][REPLY][client][empty][body...]
        reply.Push(Frame.Empty);
        reply.Push(client);
        reply.Push(ReplyFrame);
        reply.Push(WorkerHeaderFrame);
        reply.Push(Frame.Empty);
        Send(socket, reply);
        return true;
    }

    /// <summary>Awaits a slow handler, heartbeating the broker meanwhile so it knows the worker lives.</summary>
    private async ValueTask<Message> WhileHeartbeatingAsync(DealerSocket socket, ValueTask<Message> pending)
    {
        var task = pending.AsTask();
        while (true)
        {
            var finished = await Task.WhenAny(task, Task.Delay(_options.HeartbeatInterval)).ConfigureAwait(false);
            if (finished == task)
            {
                return await task.ConfigureAwait(false);
            }

            Send(socket, WorkerCommand(Heartbeat));
        }
    }

    private Frame ClientFrame(ReadOnlySpan<byte> client)
    {
        // The reply goes out after the request is gone (the handler may dispose it): the address needs
        // bytes of its own, and a client that asks again reuses them.
        if (!client.SequenceEqual(_lastClient))
        {
            _lastClient = client.ToArray();
        }

        return new Frame(_lastClient);
    }

    private static void Send(DealerSocket socket, Message message)
    {
        // The broker's DEALER queue is bounded by the HWM; a worker that cannot send a heartbeat or
        // reply now has a dead broker, which the liveness count finds.
        if (!socket.TrySend(message, TimeSpan.Zero))
        {
            message.Dispose();
        }
    }

    private async ValueTask CloseSocketAsync(bool sayDisconnect)
    {
        var socket = _socket;
        _socket = null;
        if (socket is null)
        {
            return;
        }

        if (sayDisconnect)
        {
            try
            {
                Send(socket, WorkerCommand(Disconnect));
            }
            catch (ObjectDisposedException)
            {
                // Closed already: nothing to say.
            }
        }

        await socket.DisposeAsync().ConfigureAwait(false);
    }
}
