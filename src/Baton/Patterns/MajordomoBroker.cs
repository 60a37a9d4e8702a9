using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using static Baton.Patterns.MajordomoProtocol;

namespace Baton.Patterns;

/// <summary>
/// The Majordomo broker (7/MDP, headers MDPC01 and MDPW01, as the ZeroMQ guide's code speaks it):
/// clients and workers meet on one ROUTER socket; workers announce a named service, requests queue
/// per service until one of its workers is ready, and the least recently used ready worker gets the
/// next one. Idle workers are heartbeated and forgotten when silent; the broker's own service
/// <c>mmi.service</c> tells whether a service has workers.
/// </summary>
/// <remarks>
/// <para>A malformed or out-of-turn message (a bad header, an unknown command, missing frames, a
/// second READY, a REPLY from an unknown worker) is logged and dropped; a worker that speaks out of
/// turn is sent DISCONNECT and forgotten. Nothing a peer sends stops the broker.</para>
/// <para>The broker makes no promise beyond 7/MDP's: a request whose worker dies is lost, and the
/// client's retry (see <see cref="MajordomoClient"/>) recovers it.</para>
/// </remarks>
public sealed class MajordomoBroker : IAsyncDisposable, IDisposable
{
    private readonly RouterSocket _socket;
    private readonly MajordomoBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly List<string> _endpoints = [];

    // The broker's state belongs to the one loop in RunAsync: no locks.
    private readonly Dictionary<byte[], Worker> _workers = new(IdentityComparer.Instance);
    private readonly Dictionary<byte[], Service> _services = new(IdentityComparer.Instance);
    private readonly LinkedList<Worker> _idle = new();
    private readonly List<Worker> _scratch = [];
    private int _running;

    /// <summary>Creates a broker; bind it with <see cref="Bind"/>, then run it with <see cref="RunAsync"/>.</summary>
    /// <param name="options">Heartbeats and queue bounds; null for the defaults.</param>
    /// <param name="context">The context whose logger factory and inproc registry to use; null for <see cref="Context.Default"/>.</param>
    public MajordomoBroker(MajordomoBrokerOptions? options = null, Context? context = null)
    {
        _options = options ?? MajordomoBrokerOptions.Default;
        // libzmq's high-water marks: a peer that stops reading loses replies beyond 1000 rather than
        // growing the broker's memory, and one that floods is paused, not buffered. RouterMandatory
        // tells the broker when a peer's connection is gone, so a request is never handed to a worker
        // that died between heartbeats (every send here is a TrySend that does not wait).
        _socket = new RouterSocket(new SocketOptions { Linger = TimeSpan.FromSeconds(1), RouterMandatory = true, Security = _options.Security }, context);
        _logger = _socket.Context.LoggerFactory.CreateLogger("Baton.Patterns.MajordomoBroker");
    }

    /// <summary>The options the broker runs with.</summary>
    public MajordomoBrokerOptions Options => _options;

    /// <summary>The endpoints bound so far, as bound (a tcp port 0 shows the port chosen).</summary>
    public IReadOnlyList<string> Endpoints
    {
        get
        {
            lock (_endpoints)
            {
                return [.. _endpoints];
            }
        }
    }

    /// <summary>
    /// Binds the broker's socket to <paramref name="endpoint"/>, where clients and workers connect.
    /// May be called several times, before or while the broker runs.
    /// </summary>
    /// <returns>The endpoint as bound (for tcp port 0, with the port chosen).</returns>
    /// <exception cref="InvalidEndpointException">The endpoint cannot be parsed.</exception>
    /// <exception cref="EndpointInUseException">Something is bound there already.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public string Bind(string endpoint)
    {
        var bound = _socket.Bind(endpoint);
        lock (_endpoints)
        {
            _endpoints.Add(bound);
        }

        MajordomoLog.BrokerBound(_logger, bound);
        return bound;
    }

    /// <summary>
    /// Runs the broker until <paramref name="cancellationToken"/> is cancelled; then it tells its workers
    /// DISCONNECT and ends with <see cref="OperationCanceledException"/> (cancelling is the way to stop a broker).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The broker is running already.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The Majordomo broker is running already.");
        }

        var interval = (long)_options.HeartbeatInterval.TotalMilliseconds;
        var heartbeatAt = Environment.TickCount64 + interval;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = Math.Max(0, heartbeatAt - Environment.TickCount64);
                Message? received;
                try
                {
                    received = await _socket.TryReceiveAsync(TimeSpan.FromMilliseconds(wait), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                if (received is { } message)
                {
                    Process(message);

                    // Take whatever else is queued without awaiting: the heartbeat check below is cheap but not free.
                    for (var i = 0; i < 256 && _socket.TryReceive(out var next, TimeSpan.Zero); i++)
                    {
                        Process(next);
                    }
                }

                var now = Environment.TickCount64;
                if (now >= heartbeatAt)
                {
                    Purge(now);
                    SendHeartbeats();
                    heartbeatAt = now + interval;
                }
            }

            DisconnectAll();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }

        // As every pattern's RunAsync: a cancelled run ends cancelled, after its workers were told.
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Closes the socket (the broker must not be running).</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var service in _services.Values)
        {
            while (service.Requests.TryDequeue(out var queued))
            {
                queued.Dispose();
            }
        }

        return _socket.DisposeAsync();
    }

    /// <summary>Closes the socket (the broker must not be running).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Process(Message message)
    {
        var keep = false;
        try
        {
            keep = Route(message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A message the checks above missed must cost that message, never the broker.
            MajordomoLog.BrokerFailedMessage(_logger, e);
        }
        finally
        {
            if (!keep)
            {
                message.Dispose();
            }
        }
    }

    /// <summary>Handles one message; true when it was sent on or queued (it is no longer ours to dispose).</summary>
    private bool Route(Message message)
    {
        // [peer][empty][header]...: the ROUTER put the peer's identity first.
        if (message.Count < 3)
        {
            return Drop(message, "fewer than 3 frames (identity, empty delimiter, header)");
        }

        if (message.GetSpan(1).Length != 0)
        {
            return Drop(message, "frame 1 is not the empty delimiter");
        }

        var header = message.GetSpan(2);
        if (header.SequenceEqual(ClientHeader))
        {
            return FromClient(message);
        }

        if (header.SequenceEqual(WorkerHeader))
        {
            FromWorker(message);
            return false;
        }

        return Drop(message, "the header is neither MDPC01 nor MDPW01");
    }

    private bool FromClient(Message message)
    {
        // [client][empty][MDPC01][service][body...]
        if (message.Count < 5)
        {
            return Drop(message, "a client request needs a service frame and at least one body frame");
        }

        var name = message.GetSpan(3);
        if (name.StartsWith(InternalServicePrefix))
        {
            ServeInternal(message);
            return false;
        }

        if (name.IsEmpty)
        {
            return Drop(message, "the service name is empty");
        }

        var service = RequireService(name);
        if (service.Requests.Count >= _options.MaxQueuedRequests)
        {
            MajordomoLog.RequestQueueFull(_logger, service.Name, service.Requests.Count);
            return false;
        }

        // [client][empty][MDPC01][service][body...] -> [client][empty][body...]: the worker's envelope comes at dispatch.
        var client = PopInPlace(message);
        RemoveFront(message, 3);
        message.Push(Frame.Empty);
        message.Push(client);
        service.Requests.Enqueue(message);
        Dispatch(service);
        return true;
    }

    private void FromWorker(Message message)
    {
        // [worker][empty][MDPW01][command]...
        if (message.Count < 4 || message.GetSpan(3).Length != 1)
        {
            Drop(message, "a worker message needs a one-byte command in frame 3");
            return;
        }

        var command = message.GetSpan(3)[0];
        var identity = message.GetSpan(0);
        _workers.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(identity, out var worker);
        switch (command)
        {
            case Ready:
                if (worker is not null)
                {
                    // READY is a worker's first word only: a second one (the same or another service) is out of turn.
                    Refuse(worker, "READY from a worker that is ready already");
                }
                else if (message.Count < 5 || message.GetSpan(4).IsEmpty)
                {
                    RefuseUnknown(identity, "READY without a service name");
                }
                else if (message.GetSpan(4).StartsWith(InternalServicePrefix))
                {
                    RefuseUnknown(identity, "READY for a broker-internal mmi.* service");
                }
                else
                {
                    worker = new Worker(identity.ToArray(), RequireService(message.GetSpan(4)));
                    _workers.Add(worker.Identity, worker);
                    worker.Service.WorkerCount++;
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        MajordomoLog.WorkerRegistered(_logger, Describe(worker.Identity), worker.Service.Name);
                    }

                    Waiting(worker);
                }

                break;

            case Reply:
                if (worker is null)
                {
                    RefuseUnknown(identity, "REPLY from a worker that never said READY");
                }
                else if (worker.Idle)
                {
                    Refuse(worker, "REPLY from a worker that had no request");
                }
                else if (message.Count < 6 || message.GetSpan(5).Length != 0 || message.GetSpan(4).IsEmpty)
                {
                    Refuse(worker, "REPLY without a client address and empty delimiter");
                }
                else
                {
                    // [worker][empty][MDPW01][REPLY][client][empty][body...] -> [client][empty][MDPC01][service][body...]
                    RemoveFront(message, 4);
                    var client = PopInPlace(message);
                    var empty = PopInPlace(message);
                    message.Push(worker.Service.NameFrame);
                    message.Push(ClientHeaderFrame);
                    message.Push(empty);
                    message.Push(client);

                    // The worker's next request first: it starts on it while the reply travels.
                    Waiting(worker);
                    Send(message);
                }

                break;

            case Heartbeat:
                if (worker is null)
                {
                    RefuseUnknown(identity, "HEARTBEAT from a worker that never said READY");
                }
                else
                {
                    worker.Expiry = Environment.TickCount64 + (long)_options.Expiry.TotalMilliseconds;
                }

                break;

            case Disconnect:
                if (worker is not null)
                {
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        MajordomoLog.WorkerLeft(_logger, Describe(worker.Identity), worker.Service.Name);
                    }

                    Delete(worker);
                }

                break;

            default:
                if (worker is null)
                {
                    RefuseUnknown(identity, $"unknown command {CommandName(command)}");
                }
                else
                {
                    Refuse(worker, $"unknown command {CommandName(command)}");
                }

                break;
        }
    }

    /// <summary>The broker's own services: mmi.service answers 200 or 404, any other mmi.* 501.</summary>
    private void ServeInternal(Message message)
    {
        string code;
        if (message.GetSpan(3).SequenceEqual(ServiceDiscovery))
        {
            _services.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(message.GetSpan(message.Count - 1), out var service);
            code = service is { WorkerCount: > 0 } ? "200" : "404";
        }
        else
        {
            code = "501";
        }

        // [client][empty][MDPC01][mmi.x][code]: the code replaces the last body frame, as the guide does.
        var reply = new Message(Frame.Copy(message.GetSpan(0)), Frame.Empty, ClientHeaderFrame, Frame.Copy(message.GetSpan(3)));
        reply.Append(code);
        Send(reply);
    }

    private Service RequireService(ReadOnlySpan<byte> name)
    {
        var lookup = _services.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(name, out var service))
        {
            service = new Service(name.ToArray());
            _services.Add(service.NameBytes, service);
        }

        return service;
    }

    /// <summary>The worker is ready for its service's next request; it gets one at once if any is queued.</summary>
    private void Waiting(Worker worker)
    {
        worker.Expiry = Environment.TickCount64 + (long)_options.Expiry.TotalMilliseconds;
        worker.Idle = true;
        _idle.AddLast(worker.IdleNode);
        worker.Service.Waiting.AddLast(worker.ServiceNode);
        Dispatch(worker.Service);
    }

    /// <summary>Hands queued requests to the service's ready workers, least recently used first.</summary>
    private void Dispatch(Service service)
    {
        while (service.Requests.Count > 0 && service.Waiting.First is { } node)
        {
            var worker = node.Value;
            service.Waiting.Remove(node);
            _idle.Remove(worker.IdleNode);
            worker.Idle = false;

            // [client][empty][body...] -> [worker][empty][MDPW01][REQUEST][client][empty][body...]
            var request = service.Requests.Peek();
            request.Push(RequestFrame);
            request.Push(WorkerHeaderFrame);
            request.Push(Frame.Empty);
            request.Push(worker.IdentityFrame);
            if (TryRoute(request))
            {
                service.Requests.Dequeue();
                continue;
            }

            // The worker's connection is gone (it died between heartbeats): the request stays first in line for the next one.
            RemoveFront(request, 4);
            Gone(worker);
        }
    }

    /// <summary>Queues a message for its peer; false (the message still ours) when the peer is gone or cannot take it now.</summary>
    private bool TryRoute(Message message)
    {
        try
        {
            return _socket.TrySend(message, TimeSpan.Zero);
        }
        catch (UnroutableMessageException)
        {
            return false;
        }
    }

    /// <summary>Sends a message, or drops it when its peer is gone or full (a client that left loses its reply, as in libzmq).</summary>
    private bool Send(Message message)
    {
        if (TryRoute(message))
        {
            return true;
        }

        message.Dispose();
        return false;
    }

    private bool SendCommand(byte[] identity, byte command)
        => Send(new Message(new Frame(identity), Frame.Empty, WorkerHeaderFrame, CommandFrame(command)));

    /// <summary>
    /// Forgets idle workers that stayed silent too long, and busy ones whose connection is gone: a busy
    /// worker silent past its expiry (a guide worker does not heartbeat while it works) is sent a
    /// HEARTBEAT, which only fails when the worker's connection closed.
    /// </summary>
    private void Purge(long now)
    {
        var node = _idle.First;
        while (node is not null)
        {
            var next = node.Next;
            var worker = node.Value;
            if (worker.Expiry <= now)
            {
                MajordomoLog.WorkerExpired(_logger, Describe(worker.Identity), worker.Service.Name, (long)_options.Expiry.TotalMilliseconds);
                Delete(worker);
            }

            node = next;
        }

        _scratch.Clear();
        foreach (var worker in _workers.Values)
        {
            if (!worker.Idle && worker.Expiry <= now)
            {
                _scratch.Add(worker);
            }
        }

        foreach (var worker in _scratch)
        {
            if (!SendCommand(worker.Identity, Heartbeat))
            {
                Gone(worker);
            }
        }

        _scratch.Clear();
    }

    private void SendHeartbeats()
    {
        var node = _idle.First;
        while (node is not null)
        {
            var next = node.Next;
            if (!SendCommand(node.Value.Identity, Heartbeat))
            {
                Gone(node.Value);
            }

            node = next;
        }
    }

    /// <summary>A worker whose connection closed: forgotten at once, without waiting for its expiry.</summary>
    private void Gone(Worker worker)
    {
        MajordomoLog.WorkerGone(_logger, Describe(worker.Identity), worker.Service.Name);
        Delete(worker);
    }

    private void DisconnectAll()
    {
        foreach (var worker in _workers.Values)
        {
            SendCommand(worker.Identity, Disconnect);
        }

        foreach (var worker in new List<Worker>(_workers.Values))
        {
            Delete(worker);
        }
    }

    /// <summary>A worker spoke out of turn: it is told DISCONNECT and forgotten.</summary>
    private void Refuse(Worker worker, string reason)
    {
        MajordomoLog.WorkerRefused(_logger, Describe(worker.Identity), reason);
        SendCommand(worker.Identity, Disconnect);
        Delete(worker);
    }

    private void RefuseUnknown(ReadOnlySpan<byte> identity, string reason)
    {
        MajordomoLog.WorkerRefused(_logger, Describe(identity), reason);
        SendCommand(identity.ToArray(), Disconnect);
    }

    private void Delete(Worker worker)
    {
        if (worker.Idle)
        {
            _idle.Remove(worker.IdleNode);
            worker.Service.Waiting.Remove(worker.ServiceNode);
            worker.Idle = false;
        }

        _workers.Remove(worker.Identity);
        var service = worker.Service;
        service.WorkerCount--;
        if (service.WorkerCount == 0 && service.Requests.Count == 0)
        {
            // Services come and go with their workers, so random names cost nothing for long.
            _services.Remove(service.NameBytes);
        }
    }

    private bool Drop(Message message, string reason)
    {
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            MajordomoLog.BrokerDroppedMessage(_logger, message.Count > 0 ? Describe(message.GetSpan(0)) : "?", reason);
        }

        return false;
    }

    private sealed class Service
    {
        public Service(byte[] name)
        {
            NameBytes = name;
            NameFrame = new Frame(name);
            Name = Encoding.UTF8.GetString(name);
        }

        public byte[] NameBytes { get; }

        /// <summary>The name as a frame over the broker's own array, shared by every reply.</summary>
        public Frame NameFrame { get; }

        public string Name { get; }

        public Queue<Message> Requests { get; } = new();

        /// <summary>Ready workers, least recently used first.</summary>
        public LinkedList<Worker> Waiting { get; } = new();

        public int WorkerCount { get; set; }
    }

    private sealed class Worker
    {
        public Worker(byte[] identity, Service service)
        {
            Identity = identity;
            IdentityFrame = new Frame(identity);
            Service = service;

            // Each worker keeps its list nodes: moving between busy and idle allocates nothing.
            IdleNode = new LinkedListNode<Worker>(this);
            ServiceNode = new LinkedListNode<Worker>(this);
        }

        public byte[] Identity { get; }

        public Frame IdentityFrame { get; }

        public Service Service { get; }

        public long Expiry { get; set; }

        public bool Idle { get; set; }

        public LinkedListNode<Worker> IdleNode { get; }

        public LinkedListNode<Worker> ServiceNode { get; }
    }
}
