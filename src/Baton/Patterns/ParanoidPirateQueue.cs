using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// The Paranoid Pirate queue (the guide's ppqueue, RFC 6/PPP): a load-balancing broker whose workers
/// prove they are alive. Clients (REQ, e.g. <see cref="LazyPirateClient"/>) connect to a ROUTER
/// frontend, workers (DEALER, e.g. <see cref="ParanoidPirateWorker"/> or any 6/PPP worker) to a ROUTER
/// backend. A worker says READY (one frame, <c>"\x01"</c>), then gets requests as
/// <c>[client envelope..., "", request...]</c> and answers with the same envelope; queue and worker send
/// each other HEARTBEAT (one frame, <c>"\x02"</c>) every heartbeat interval.
/// </summary>
/// <remarks>
/// <para>Each request goes to the least recently used ready worker. A worker the queue has not heard
/// from (any message counts) for <see cref="ParanoidPirateOptions.Liveness"/> heartbeat intervals is
/// forgotten; a worker that disconnected is skipped when its turn comes. While no worker is ready the
/// queue stops reading the frontend, so requests wait there (bounded by its receive high-water mark).</para>
/// <para>A worker that dies with a request does not take the queue down, and the request is not
/// resent by the queue: the client's retry (Lazy Pirate) goes to another worker. A late reply from a
/// worker the queue had forgotten is still delivered, and the worker is taken back. A HEARTBEAT from an
/// unknown worker (the queue restarted) makes it ready, so workers need not reconnect after a queue
/// restart. Malformed messages are logged and dropped.</para>
/// </remarks>
public sealed class ParanoidPirateQueue : IAsyncDisposable
{
    private const string Pattern = "Paranoid Pirate queue";
    private static readonly byte[] s_heartbeat = [0x02];

    private readonly RouterSocket _frontend;
    private readonly RouterSocket _backend;
    private readonly ParanoidPirateOptions _options;
    private readonly ILogger _logger;

    // Every worker heard from lately, and the ready ones in least recently used order.
    private readonly Dictionary<Frame, Worker> _workers = [];
    private readonly LinkedList<Worker> _ready = new();
    private readonly List<Worker> _expired = [];
    private int _running;
    private volatile int _readyCount;
    private volatile int _workerCount;

    /// <summary>Creates the queue's two ROUTER sockets and binds them.</summary>
    /// <param name="frontendEndpoint">Where clients connect (port 0 picks one: see <see cref="FrontendEndpoint"/>).</param>
    /// <param name="backendEndpoint">Where workers connect.</param>
    /// <param name="options">Heartbeat interval, liveness, and the frontend's and backend's security; <see cref="ParanoidPirateOptions.Default"/> if null.</param>
    /// <param name="context">The context of the sockets (its logging is the queue's); <see cref="Context.Default"/> if null.</param>
    /// <exception cref="InvalidEndpointException">An endpoint is not valid.</exception>
    /// <exception cref="EndpointInUseException">An endpoint is taken.</exception>
    public ParanoidPirateQueue(string frontendEndpoint, string backendEndpoint, ParanoidPirateOptions? options = null, Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(frontendEndpoint);
        ArgumentNullException.ThrowIfNull(backendEndpoint);
        context ??= Context.Default;
        _options = options ?? ParanoidPirateOptions.Default;
        RouterPair.Bind(frontendEndpoint, backendEndpoint, _options.FrontendSecurity, _options.BackendSecurity, context, out _frontend, out _backend, out var boundFrontend, out var boundBackend);
        FrontendEndpoint = boundFrontend;
        BackendEndpoint = boundBackend;

        _logger = context.LoggerFactory.CreateLogger<ParanoidPirateQueue>();
    }

    /// <summary>The frontend's bound endpoint (the port resolved), where clients connect.</summary>
    public string FrontendEndpoint { get; }

    /// <summary>The backend's bound endpoint (the port resolved), where workers connect.</summary>
    public string BackendEndpoint { get; }

    /// <summary>How many workers are ready for a request now.</summary>
    public int ReadyWorkerCount => _readyCount;

    /// <summary>How many workers the queue knows (ready or busy).</summary>
    public int WorkerCount => _workerCount;

    /// <summary>Routes requests, replies and heartbeats until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The queue is running already.</exception>
    /// <exception cref="ObjectDisposedException">The queue was disposed.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The queue is running already.");
        }

        try
        {
            using var poller = new Poller();
            poller.Add(_backend);
            var result = new PollResult();
            var pollingFrontend = false;
            var interval = (long)_options.HeartbeatInterval.TotalMilliseconds;
            var heartbeatAt = Environment.TickCount64 + interval;
            while (true)
            {
                RouterPair.PollFrontendWhile(_ready.Count > 0, poller, _frontend, ref pollingFrontend);

                var wait = Math.Max(0, heartbeatAt - Environment.TickCount64);
                await poller.PollAsync(result, TimeSpan.FromMilliseconds(wait), cancellationToken).ConfigureAwait(false);
                while (_backend.TryReceive(out var fromWorker, TimeSpan.Zero))
                {
                    FromWorker(fromWorker);
                }

                while (_ready.Count > 0 && _frontend.TryReceive(out var request, TimeSpan.Zero))
                {
                    Dispatch(request);
                }

                var now = Environment.TickCount64;
                if (now >= heartbeatAt)
                {
                    Heartbeat();
                    Purge(now);
                    heartbeatAt = now + interval;
                }

                _readyCount = _ready.Count;
                _workerCount = _workers.Count;
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private void FromWorker(Message message)
    {
        try
        {
            if (message.Count < 2)
            {
                ProxyLog.MalformedMessage(_logger, Pattern, "a worker", "an empty message");
                return;
            }

            var identity = message[0];
            if (message.Count == 2)
            {
                var command = message.GetSpan(1);
                if (command.SequenceEqual("\x01"u8))
                {
                    // READY: a new worker, or one that restarted (any request it held is lost; the client retries).
                    Heard(identity, ready: true);
                }
                else if (command.SequenceEqual("\x02"u8))
                {
                    // HEARTBEAT: alive. Unknown means this queue restarted and the worker never noticed: it is idle.
                    Heard(identity, ready: !_workers.ContainsKey(identity));
                }
                else
                {
                    ProxyLog.MalformedMessage(_logger, Pattern, "a worker", $"unknown command 0x{Convert.ToHexString(command)}");
                }

                return;
            }

            // A reply: [worker, client envelope..., "", reply...]. A client that is gone makes the frontend drop it.
            message.Pop();
            _frontend.TrySend(message, TimeSpan.Zero);
            Heard(identity, ready: true);
        }
        finally
        {
            message.Dispose();
        }
    }

    /// <summary>Refreshes a worker's expiry; a ready one goes to the back of the line (it is now the most recently used).</summary>
    private void Heard(Frame identity, bool ready)
    {
        if (!_workers.TryGetValue(identity, out var worker))
        {
            worker = new Worker(identity);
            _workers.Add(identity, worker);
        }

        worker.Expiry = Environment.TickCount64 + (long)_options.Expiry.TotalMilliseconds;
        if (ready && worker.Node.List is null)
        {
            _ready.AddLast(worker.Node);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ProxyLog.WorkerReady(_logger, Pattern, Convert.ToHexString(identity.Span), _ready.Count);
            }
        }
    }

    /// <summary>Sends the request to the least recently used ready worker that is still there; with none left it is dropped (the client retries).</summary>
    private void Dispatch(Message request)
    {
        try
        {
            if (!HasEnvelope(request))
            {
                ProxyLog.MalformedMessage(_logger, Pattern, "a client", "a request without [identity..., \"\", body...]");
                return;
            }

            while (_ready.First is { } node)
            {
                var worker = node.Value;
                _ready.RemoveFirst();
                request.Push(worker.Identity);
                if (TrySendToWorker(worker, request))
                {
                    return;
                }

                request.Pop();
            }

            ProxyLog.MalformedMessage(_logger, Pattern, "a client", "every ready worker was gone; request dropped (the client retries)");
        }
        finally
        {
            request.Dispose();
        }
    }

    /// <summary>Whether a client's message is [identity..., "", body...], as a REQ sends it (so a worker can answer it).</summary>
    private static bool HasEnvelope(Message request)
    {
        for (var i = 1; i < request.Count - 1; i++)
        {
            if (request.GetSpan(i).IsEmpty)
            {
                return true;
            }
        }

        return false;
    }

    private void Heartbeat()
    {
        foreach (var worker in _workers.Values)
        {
            var heartbeat = new Message(worker.Identity, s_heartbeat);
            TrySendToWorker(worker, heartbeat);
            heartbeat.Dispose();
        }
    }

    /// <summary>Sends without waiting; a worker that is gone is forgotten, one whose queue is full is passed over.</summary>
    private bool TrySendToWorker(Worker worker, Message message)
    {
        try
        {
            return _backend.TrySend(message, TimeSpan.Zero);
        }
        catch (UnroutableMessageException)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ProxyLog.WorkerGone(_logger, Pattern, Convert.ToHexString(worker.Identity.Span));
            }

            _expired.Add(worker);
            return false;
        }
    }

    private void Purge(long now)
    {
        foreach (var worker in _workers.Values)
        {
            if (worker.Expiry <= now)
            {
                ProxyLog.WorkerExpired(_logger, Pattern, Convert.ToHexString(worker.Identity.Span), now - worker.Expiry + (long)_options.Expiry.TotalMilliseconds);
                _expired.Add(worker);
            }
        }

        foreach (var worker in _expired)
        {
            Forget(worker);
        }

        _expired.Clear();
    }

    private void Forget(Worker worker)
    {
        _workers.Remove(worker.Identity);
        if (worker.Node.List is not null)
        {
            _ready.Remove(worker.Node);
        }
    }

    /// <summary>Closes the queue's sockets (stop <see cref="RunAsync"/> first).</summary>
    public async ValueTask DisposeAsync()
    {
        await _frontend.DisposeAsync().ConfigureAwait(false);
        await _backend.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A worker as the queue knows it: its identity, when it expires, its place in the ready line.</summary>
    private sealed class Worker
    {
        public Worker(Frame identity)
        {
            Identity = identity;
            Node = new LinkedListNode<Worker>(this);
        }

        public Frame Identity { get; }

        public long Expiry { get; set; }

        public LinkedListNode<Worker> Node { get; }
    }
}
