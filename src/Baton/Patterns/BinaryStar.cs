using System.Globalization;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// One server of a Binary Star pair (ZeroMQ guide, chapter 4): a primary and a backup that watch each
/// other through state heartbeats (PUB on <see cref="StateEndpoint"/>, SUB to the peer's), so that
/// exactly one of them serves clients at a time and the other takes over when it dies.
/// </summary>
/// <remarks>
/// <para>
/// The rules are the guide's state machine. Started together, the primary becomes active and the
/// backup passive. The passive server takes over only when a client request reaches it AND its peer
/// has been silent for two heartbeats: a dead peer alone changes nothing (the network between the
/// servers may be what failed), and a live peer keeps its role however many clients knock. A server
/// that comes back after a failover finds its peer active and goes passive. Should both servers ever
/// be active (split brain) or both passive, <see cref="RunAsync"/> stops with
/// <see cref="BinaryStarConflictException"/>, as the guide's servers abort.
/// </para>
/// <para>
/// Requests that this server may not serve are dropped unanswered: the client times out and tries
/// the other server (<see cref="BinaryStarClient"/>). The handler runs on the server's loop, one
/// request at a time, between heartbeats: keep it shorter than a heartbeat interval, or the peer may
/// think this server dead. Delivery is at least once: a request whose reply was lost in a failover is
/// sent again to the other server.
/// </para>
/// </remarks>
public sealed class BinaryStar : IAsyncDisposable
{
    private readonly Func<Message, CancellationToken, ValueTask<Message?>> _handler;
    private readonly ZmqSocket _frontend;
    private readonly PubSocket _publisher;
    private readonly SubSocket _subscriber;
    private readonly long _heartbeatMs;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<(BinaryStarState State, TaskCompletionSource Reached)> _waiters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BinaryStarState _state;
    private Exception? _failure;
    private long _refused;
    private int _started;
    private bool _disposed;

    /// <summary>
    /// Creates the server: binds the frontend and the state publisher and connects to the peer's state
    /// publisher. Nothing is served until <see cref="RunAsync"/>.
    /// </summary>
    /// <param name="role">Primary or backup; the pair needs one of each.</param>
    /// <param name="frontend">Where clients connect (bound), e.g. <c>tcp://*:5001</c>.</param>
    /// <param name="local">Where this server publishes its state (bound), e.g. <c>tcp://*:5003</c>.</param>
    /// <param name="remote">The peer's state endpoint (connected), e.g. <c>tcp://localhost:5004</c>.</param>
    /// <param name="handler">
    /// Serves a request: returns the reply to send back on the frontend, or null for none. The handler
    /// owns the request message: return it (as an echo does) or dispose it. With a ROUTER frontend the
    /// request and the reply carry no envelope: the server keeps it and routes the reply.
    /// </param>
    /// <param name="options">Heartbeat interval, frontend socket and the security of the three sockets; null for the guide's defaults.</param>
    /// <param name="context">The context of the sockets; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidEndpointException">An endpoint is malformed.</exception>
    /// <exception cref="EndpointInUseException">The frontend or the local endpoint is taken.</exception>
    public BinaryStar(
        BinaryStarRole role,
        string frontend,
        string local,
        string remote,
        Func<Message, CancellationToken, ValueTask<Message?>> handler,
        BinaryStarOptions? options = null,
        Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(frontend);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= BinaryStarOptions.Default;
        context ??= Context.Default;
        Role = role;
        _handler = handler;
        _state = role == BinaryStarRole.Primary ? BinaryStarState.Primary : BinaryStarState.Backup;
        _heartbeatMs = Math.Max(1, (long)Math.Ceiling(options.HeartbeatInterval.TotalMilliseconds));
        _logger = context.LoggerFactory.CreateLogger("Baton.Patterns.BinaryStar");

        // Linger zero for the state sockets: a heartbeat is worth nothing once this server is gone.
        var quiet = new SocketOptions { Linger = TimeSpan.Zero };
        var frontendOptions = options.FrontendOptions ?? new SocketOptions { Linger = TimeSpan.FromSeconds(1) };
        if (options.FrontendSecurity is { } frontendSecurity)
        {
            frontendOptions = frontendOptions with { Security = frontendSecurity };
        }

        _frontend = ZmqSocket.Create(options.FrontendType, frontendOptions, context);
        _publisher = new PubSocket(quiet with { Security = options.StatePublisherSecurity }, context);
        _subscriber = new SubSocket(quiet with { Security = options.StateSubscriberSecurity }, context);
        try
        {
            FrontendEndpoint = _frontend.Bind(frontend);
            StateEndpoint = _publisher.Bind(local);
            _subscriber.Subscribe(ReadOnlySpan<byte>.Empty);
            _subscriber.Connect(remote);
            PeerStateEndpoint = remote;
        }
        catch
        {
            _frontend.Dispose();
            _publisher.Dispose();
            _subscriber.Dispose();
            throw;
        }
    }

    /// <summary>Primary or backup.</summary>
    public BinaryStarRole Role { get; }

    /// <summary>The current state: the role's waiting state until the peer is heard from or a client makes this server active.</summary>
    public BinaryStarState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The endpoint the frontend is bound to, with the port the system chose for a <c>:0</c> or <c>:*</c>.</summary>
    public string FrontendEndpoint { get; }

    /// <summary>The endpoint this server publishes its state on, as bound.</summary>
    public string StateEndpoint { get; }

    /// <summary>The peer's state endpoint this server subscribes to.</summary>
    public string PeerStateEndpoint { get; }

    /// <summary>How many client requests this server dropped because it was not (and could not become) active.</summary>
    public long RefusedRequestCount => Interlocked.Read(ref _refused);

    /// <summary>
    /// Raised on the server's loop each time the state changes. A handler that throws is logged and
    /// does not stop the server; a slow one delays heartbeats.
    /// </summary>
    public event EventHandler<BinaryStarStateChangedEventArgs>? StateChanged;

    /// <summary>Raised on the server's loop each time a client request is dropped because this server may not serve it.</summary>
    public event EventHandler? RequestRefused;

    /// <summary>
    /// Runs the server until <paramref name="cancellationToken"/> is cancelled or the server is disposed:
    /// publishes the state every heartbeat, follows the peer's, and serves client requests when active.
    /// A server runs once.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled, or the server disposed.</exception>
    /// <exception cref="BinaryStarConflictException">The peer is active while this server is (split brain), or passive while this one is: the server stopped.</exception>
    /// <exception cref="InvalidOperationException">The server ran already.</exception>
    /// <exception cref="ObjectDisposedException">The server is disposed.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("This BinaryStar has run already: a server runs once; create another to restart.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            await LoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Waits until the server is in <paramref name="state"/> (at once if it is already).</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="BinaryStarConflictException">The server stopped on a conflict with its peer first.</exception>
    /// <exception cref="ObjectDisposedException">The server stopped (disposed or cancelled) first.</exception>
    public Task WaitForStateAsync(BinaryStarState state, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource reached;
        lock (_lock)
        {
            if (_state == state)
            {
                return Task.CompletedTask;
            }

            if (_failure is not null)
            {
                return Task.FromException(_failure);
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((state, reached));
        }

        return reached.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops the server (a running <see cref="RunAsync"/> ends with <see cref="OperationCanceledException"/>) and closes its sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stop.Cancel();
        if (Volatile.Read(ref _started) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
        }

        Fail(new ObjectDisposedException(nameof(BinaryStar), "The Binary Star server was disposed."));
        await _frontend.DisposeAsync().ConfigureAwait(false);
        await _publisher.DisposeAsync().ConfigureAwait(false);
        await _subscriber.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private static long Now => Environment.TickCount64;

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var machine = new BinaryStarMachine(Role, _heartbeatMs, Now);
        using var poller = new Poller();
        poller.Add(_subscriber);
        poller.Add(_frontend);
        var ready = new PollResult();
        var nextHeartbeat = Now;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Now >= nextHeartbeat)
            {
                PublishState(machine.State);
                nextHeartbeat = Now + _heartbeatMs;
            }

            await poller.PollAsync(ready, TimeSpan.FromMilliseconds(Math.Max(1, nextHeartbeat - Now)), cancellationToken).ConfigureAwait(false);

            // The peer's news first, so that a client request is judged on the freshest view of the peer.
            while (_subscriber.TryReceive(out var news, TimeSpan.Zero))
            {
                OnPeerState(machine, news);
            }

            // Requests until none is waiting or a heartbeat is due: serving must not silence this server.
            while (Now < nextHeartbeat && _frontend.TryReceive(out var request, TimeSpan.Zero))
            {
                await OnRequestAsync(machine, request, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void PublishState(BinaryStarState state)
    {
        // The guide's heartbeat: the state's number in decimal, one frame. A PUB never blocks; without a subscriber it drops.
        _publisher.TrySend(new Message(((int)state).ToString(CultureInfo.InvariantCulture)), TimeSpan.Zero);
    }

    private void OnPeerState(BinaryStarMachine machine, Message news)
    {
        BinaryStarState peer;
        using (news)
        {
            var span = news.GetSpan(0);
            if (news.Count != 1 || span.Length != 1 || span[0] < '1' || span[0] > '4')
            {
                BinaryStarLog.MalformedState(_logger, Role, PeerStateEndpoint);
                return;
            }

            peer = (BinaryStarState)(span[0] - '0');
        }

        var previous = machine.State;
        if (machine.OnPeerState(peer, Now) is { } conflict)
        {
            BinaryStarLog.Conflict(_logger, Role, conflict);
            throw new BinaryStarConflictException($"Binary Star {Role.ToString().ToLowerInvariant()} stopped: {conflict}; restart the pair.");
        }

        if (machine.State != previous)
        {
            ChangeState(previous, machine.State, peer switch
            {
                BinaryStarState.Backup => "the backup is up and waiting",
                BinaryStarState.Active => "the peer is active",
                BinaryStarState.Primary => "the primary restarted",
                _ => $"the peer is {peer.ToString().ToLowerInvariant()}",
            });
        }
    }

    private async ValueTask OnRequestAsync(BinaryStarMachine machine, Message request, CancellationToken cancellationToken)
    {
        var previous = machine.State;
        if (!machine.OnClientRequest(Now))
        {
            request.Dispose();
            Interlocked.Increment(ref _refused);
            BinaryStarLog.RequestRefused(_logger, Role, previous);
            RequestRefused?.Invoke(this, EventArgs.Empty);
            return;
        }

        if (machine.State != previous)
        {
            ChangeState(previous, machine.State, "a client asked and the peer was silent for two heartbeats");
        }

        var envelope = _frontend.Type == ZmqSocketType.Router ? TakeEnvelope(request) : null;
        Message? reply;
        try
        {
            reply = await _handler(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            BinaryStarLog.HandlerFailed(_logger, Role, e);
            return;
        }

        if (reply is not { } answer)
        {
            return;
        }

        if (!_frontend.CanSend)
        {
            answer.Dispose();
            BinaryStarLog.ReplyDropped(_logger, Role);
            return;
        }

        if (envelope is not null)
        {
            for (var i = envelope.Length - 1; i >= 0; i--)
            {
                answer.Push(envelope[i]);
            }
        }

        // Never wait on the frontend: a peer that takes nothing must not stop the heartbeats.
        if (!_frontend.TrySend(answer, TimeSpan.Zero))
        {
            answer.Dispose();
            BinaryStarLog.ReplyDropped(_logger, Role);
        }
    }

    /// <summary>
    /// Takes a ROUTER request's envelope off: the frames up to the first empty one (REQ clients and
    /// their proxies), or the identity alone when there is no empty frame (DEALER clients).
    /// </summary>
    private static Frame[] TakeEnvelope(Message request)
    {
        var length = 1;
        for (var i = 1; i < request.Count; i++)
        {
            if (request.GetSpan(i).IsEmpty)
            {
                length = i + 1;
                break;
            }
        }

        var envelope = new Frame[length];
        for (var i = 0; i < length; i++)
        {
            envelope[i] = request.Pop();
        }

        return envelope;
    }

    private void ChangeState(BinaryStarState previous, BinaryStarState current, string reason)
    {
        BinaryStarLog.StateChanged(_logger, Role, previous, current, reason);
        List<TaskCompletionSource>? reached = null;
        lock (_lock)
        {
            _state = current;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].State == current)
                {
                    (reached ??= []).Add(_waiters[i].Reached);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (reached is not null)
        {
            foreach (var waiter in reached)
            {
                waiter.TrySetResult();
            }
        }

        try
        {
            StateChanged?.Invoke(this, new BinaryStarStateChangedEventArgs(previous, current, reason));
        }
        catch (Exception e)
        {
            BinaryStarLog.StateHandlerFailed(_logger, Role, e);
        }
    }

    private void Fail(Exception failure)
    {
        List<(BinaryStarState, TaskCompletionSource)> waiters;
        Exception reason;
        lock (_lock)
        {
            reason = _failure ??= failure is OperationCanceledException ? new ObjectDisposedException(nameof(BinaryStar), "The Binary Star server stopped.") : failure;
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var (_, reached) in waiters)
        {
            reached.TrySetException(reason);
        }
    }
}
