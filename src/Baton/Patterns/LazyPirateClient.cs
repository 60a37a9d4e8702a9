using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// The guide's Lazy Pirate client (chapter 4, lpclient): request-reply that survives a server that
/// crashes, restarts or is slow. Each request waits <see cref="LazyPirateOptions.Timeout"/> for its
/// reply; without one the client closes its REQ socket (discarding the request), opens a new one,
/// reconnects and sends again, up to <see cref="LazyPirateOptions.Attempts"/> times, then throws
/// <see cref="ServerUnavailableException"/>.
/// </summary>
/// <remarks>
/// <para>Each request gets exactly one reply or the exception: a late reply to an abandoned attempt
/// dies with that attempt's socket, so it is never taken for the reply to a later request. The server
/// may see a request more than once (a retry after a reply that was lost or late): make requests
/// idempotent, or deduplicate on the server.</para>
/// <para>Requests are sent one at a time; concurrent calls wait their turn. The server is anything
/// that answers a REQ: a REP, a ROUTER broker (<see cref="LoadBalancingBroker"/>,
/// a Paranoid Pirate queue), a <see cref="Proxy"/> in front of REP workers.</para>
/// </remarks>
public sealed class LazyPirateClient : IDisposable, IAsyncDisposable
{
    private readonly Context _context;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private ReqSocket? _socket;
    private bool _disposed;

    /// <summary>Creates a client of the server at <paramref name="endpoint"/>; it connects at the first request.</summary>
    /// <param name="endpoint">The server's endpoint, e.g. <c>tcp://localhost:5555</c>.</param>
    /// <param name="options">Timeout, attempts and socket options; <see cref="LazyPirateOptions.Default"/> if null.</param>
    /// <param name="context">The context of the client's sockets; <see cref="Context.Default"/> if null.</param>
    public LazyPirateClient(string endpoint, LazyPirateOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Endpoint = endpoint;
        Options = options ?? LazyPirateOptions.Default;
        _context = context ?? Context.Default;
        _logger = _context.LoggerFactory.CreateLogger<LazyPirateClient>();
    }

    /// <summary>The server's endpoint.</summary>
    public string Endpoint { get; }

    /// <summary>The timeout, attempts and socket options.</summary>
    public LazyPirateOptions Options { get; }

    /// <summary>
    /// Sends <paramref name="request"/> and returns the reply (the caller's: dispose it), retrying on a new
    /// socket after each timeout. The client takes ownership of the request, as a send does.
    /// </summary>
    /// <exception cref="ServerUnavailableException">No reply came after the last attempt.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the request is abandoned).</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    /// <exception cref="ArgumentException">The request has no frames.</exception>
    public async Task<Message> RequestAsync(Message request, CancellationToken cancellationToken = default)
    {
        var frames = TakeFrames(request);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; attempt <= Options.Attempts; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var socket = _socket ??= Open();
                var message = new Message(frames);
                using (var sendTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    sendTimeout.CancelAfter(Options.Timeout);
                    try
                    {
                        // A connecting REQ queues for a server not there yet, so this waits only with Immediate set.
                        await socket.SendAsync(message, sendTimeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        await AbandonAsync(attempt).ConfigureAwait(false);
                        continue;
                    }
                    finally
                    {
                        // Nothing once sent; the message if the send did not happen.
                        message.Dispose();
                    }
                }

                if (await socket.TryReceiveAsync(Options.Timeout, cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    return reply;
                }

                await AbandonAsync(attempt).ConfigureAwait(false);
            }

            throw new ServerUnavailableException(Endpoint, Options.Attempts, Options.Timeout);
        }
        catch (OperationCanceledException)
        {
            // The socket may hold the abandoned request or owe its reply: the next request starts afresh.
            await CloseSocketAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> and returns the reply, blocking the calling thread; see
    /// <see cref="RequestAsync"/>.
    /// </summary>
    /// <exception cref="ServerUnavailableException">No reply came after the last attempt.</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    /// <exception cref="ArgumentException">The request has no frames.</exception>
    public Message Request(Message request)
    {
        var frames = TakeFrames(request);
        _turn.Wait();
        try
        {
            for (var attempt = 1; attempt <= Options.Attempts; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var socket = _socket ??= Open();
                var message = new Message(frames);
                var sent = socket.TrySend(message, Options.Timeout);
                message.Dispose();
                if (sent && socket.TryReceive(out var reply, Options.Timeout))
                {
                    return reply;
                }

                Abandon(attempt);
            }

            throw new ServerUnavailableException(Endpoint, Options.Attempts, Options.Timeout);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The request's frames, kept for the retries; the request itself is consumed, as a send consumes it.</summary>
    private static Frame[] TakeFrames(Message request)
    {
        if (request.Count == 0)
        {
            throw new ArgumentException("A request needs at least one frame.", nameof(request));
        }

        var frames = new Frame[request.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = request[i];
        }

        request.Dispose();
        return frames;
    }

    private ReqSocket Open()
    {
        // Linger zero: closing an attempt's socket discards its unanswered request instead of delivering it late.
        var socket = new ReqSocket(Options.SocketOptions with { Linger = TimeSpan.Zero, Security = Options.Security ?? Options.SocketOptions.Security }, _context);
        try
        {
            socket.Connect(Endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    private async ValueTask AbandonAsync(int attempt)
    {
        ProxyLog.LazyPirateRetry(_logger, Endpoint, (long)Options.Timeout.TotalMilliseconds, attempt, Options.Attempts);
        await CloseSocketAsync().ConfigureAwait(false);
    }

    private void Abandon(int attempt)
    {
        ProxyLog.LazyPirateRetry(_logger, Endpoint, (long)Options.Timeout.TotalMilliseconds, attempt, Options.Attempts);
        _socket?.Dispose();
        _socket = null;
    }

    private async ValueTask CloseSocketAsync()
    {
        if (_socket is { } socket)
        {
            _socket = null;
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the client's socket; a request under way fails with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        if (Interlocked.Exchange(ref _socket, null) is { } socket)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the client's socket; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
