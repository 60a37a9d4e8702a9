using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// The guide's load-balancing broker (chapter 3, lbbroker): clients (REQ, or DEALER with an empty
/// delimiter) connect to a ROUTER frontend, workers (REQ) to a ROUTER backend. A worker announces itself
/// with one frame, <c>READY</c> (lbbroker) or <c>"\x01"</c> (lbbroker2, 6/PPP), and then answers each
/// request with <c>[client envelope..., "", reply...]</c>, as the guide's workers do. Each request goes to
/// the least recently used ready worker.
/// </summary>
/// <remarks>
/// <para>While no worker is ready the broker stops reading the frontend, so requests wait in the
/// frontend socket, bounded by its receive high-water mark per client (and beyond it by the clients'
/// own send high-water marks): nothing is dropped, and a request sent before any worker came is served
/// when one does.</para>
/// <para>A worker that went away while it was ready is skipped: its request goes to the next ready
/// worker. A request a worker took and never answered (it crashed) is not resent: a client that must
/// survive that retries (<see cref="LazyPirateClient"/>). Malformed messages (a worker message without
/// its empty delimiter, an unknown one-frame command) are logged and dropped.</para>
/// </remarks>
public sealed class LoadBalancingBroker : IAsyncDisposable
{
    private readonly RouterSocket _frontend;
    private readonly RouterSocket _backend;
    private readonly ILogger _logger;

    // Ready workers, least recently used first; the set keeps a worker that says READY twice from serving twice.
    private readonly Queue<Frame> _ready = new();
    private readonly HashSet<Frame> _readySet = [];

    // Requests whose every ready worker turned out to be gone: served first when a worker comes.
    private readonly Queue<Message> _held = new();
    private int _running;
    private volatile int _readyCount;

    /// <summary>Creates the broker's two ROUTER sockets and binds them.</summary>
    /// <param name="frontendEndpoint">Where clients connect, e.g. <c>tcp://*:5555</c> (port 0 picks one: see <see cref="FrontendEndpoint"/>).</param>
    /// <param name="backendEndpoint">Where workers connect, e.g. <c>tcp://*:5556</c>.</param>
    /// <param name="context">The context of the sockets (its logging is the broker's); <see cref="Context.Default"/> if null.</param>
    /// <exception cref="InvalidEndpointException">An endpoint is not valid.</exception>
    /// <exception cref="EndpointInUseException">An endpoint is taken.</exception>
    public LoadBalancingBroker(string frontendEndpoint, string backendEndpoint, Context? context = null)
        : this(frontendEndpoint, backendEndpoint, LoadBalancingBrokerOptions.Default, context)
    {
    }

    /// <summary>Creates the broker's two ROUTER sockets, secured as <paramref name="options"/> says, and binds them.</summary>
    /// <param name="frontendEndpoint">Where clients connect, e.g. <c>tcp://*:5555</c> (port 0 picks one: see <see cref="FrontendEndpoint"/>).</param>
    /// <param name="backendEndpoint">Where workers connect, e.g. <c>tcp://*:5556</c>.</param>
    /// <param name="options">The frontend's and the backend's security.</param>
    /// <param name="context">The context of the sockets (its logging is the broker's, its ZAP authenticator theirs); <see cref="Context.Default"/> if null.</param>
    /// <exception cref="InvalidEndpointException">An endpoint is not valid.</exception>
    /// <exception cref="EndpointInUseException">An endpoint is taken.</exception>
    public LoadBalancingBroker(string frontendEndpoint, string backendEndpoint, LoadBalancingBrokerOptions options, Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(frontendEndpoint);
        ArgumentNullException.ThrowIfNull(backendEndpoint);
        ArgumentNullException.ThrowIfNull(options);
        context ??= Context.Default;
        RouterPair.Bind(frontendEndpoint, backendEndpoint, options.FrontendSecurity, options.BackendSecurity, context, out _frontend, out _backend, out var boundFrontend, out var boundBackend);
        FrontendEndpoint = boundFrontend;
        BackendEndpoint = boundBackend;

        _logger = context.LoggerFactory.CreateLogger<LoadBalancingBroker>();
    }

    /// <summary>The frontend's bound endpoint (the port resolved), where clients connect.</summary>
    public string FrontendEndpoint { get; }

    /// <summary>The backend's bound endpoint (the port resolved), where workers connect.</summary>
    public string BackendEndpoint { get; }

    /// <summary>How many workers are ready for a request now.</summary>
    public int ReadyWorkerCount => _readyCount;

    /// <summary>Routes requests and replies until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The broker is running already.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The broker is running already.");
        }

        try
        {
            using var poller = new Poller();
            poller.Add(_backend);
            var result = new PollResult();
            var pollingFrontend = false;
            while (true)
            {
                // The frontend is polled only while a worker is ready: until then requests wait in its queue.
                RouterPair.PollFrontendWhile(_ready.Count > 0, poller, _frontend, ref pollingFrontend);

                await poller.PollAsync(result, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

                // Drain what is ready on each side before polling again: bursts cross in batches.
                while (_backend.TryReceive(out var fromWorker, TimeSpan.Zero))
                {
                    await FromWorkerAsync(fromWorker, cancellationToken).ConfigureAwait(false);
                }

                while (_ready.Count > 0 && _held.TryPeek(out var held))
                {
                    _held.Dequeue();
                    await DispatchAsync(held, cancellationToken).ConfigureAwait(false);
                }

                while (_ready.Count > 0 && _frontend.TryReceive(out var request, TimeSpan.Zero))
                {
                    request.Push(Frame.Empty);
                    await DispatchAsync(request, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async ValueTask FromWorkerAsync(Message message, CancellationToken cancellationToken)
    {
        try
        {
            if (message.Count < 3 || !message.GetSpan(1).IsEmpty)
            {
                ProxyLog.MalformedMessage(_logger, "Load-balancing broker", "a worker", $"{message.Count} frame(s) without [identity, \"\", ...]");
                return;
            }

            if (message.Count == 3)
            {
                var command = message.GetSpan(2);
                if (!command.SequenceEqual("READY"u8) && !command.SequenceEqual("\x01"u8))
                {
                    ProxyLog.MalformedMessage(_logger, "Load-balancing broker", "a worker", "a one-frame message that is not READY");
                    return;
                }

                Ready(message[0]);
                return;
            }

            // A reply: [worker, "", client envelope..., "", reply...]. The client may be gone: the frontend ROUTER then drops it.
            var worker = message.Pop();
            message.Pop();
            await _frontend.SendAsync(message, cancellationToken).ConfigureAwait(false);
            Ready(worker);
        }
        finally
        {
            message.Dispose();
        }
    }

    private void Ready(Frame worker)
    {
        if (_readySet.Add(worker))
        {
            _ready.Enqueue(worker);
            _readyCount = _ready.Count;
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ProxyLog.WorkerReady(_logger, "Load-balancing broker", Convert.ToHexString(worker.Span), _ready.Count);
            }
        }
    }

    /// <summary>Sends <c>["", request...]</c> to the least recently used worker that is still there, or holds it.</summary>
    private async ValueTask DispatchAsync(Message request, CancellationToken cancellationToken)
    {
        try
        {
            while (_ready.TryDequeue(out var worker))
            {
                _readySet.Remove(worker);
                _readyCount = _ready.Count;
                request.Push(worker);
                try
                {
                    await _backend.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (UnroutableMessageException)
                {
                    // Gone while it was ready: the request stays ours, for the next worker.
                    request.Pop();
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        ProxyLog.WorkerGone(_logger, "Load-balancing broker", Convert.ToHexString(worker.Span));
                    }
                }
            }

            // Every ready worker was gone: the request waits for the next one.
            _held.Enqueue(request);
            request = default;
        }
        finally
        {
            request.Dispose();
        }
    }

    /// <summary>Closes the broker's sockets (stop <see cref="RunAsync"/> first); requests it held are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        while (_held.TryDequeue(out var held))
        {
            held.Dispose();
        }

        await _frontend.DisposeAsync().ConfigureAwait(false);
        await _backend.DisposeAsync().ConfigureAwait(false);
    }
}
