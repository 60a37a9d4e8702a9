using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using static Baton.Patterns.MajordomoProtocol;

namespace Baton.Patterns;

/// <summary>
/// A Majordomo client (7/MDP, MDPC01) that asks one request at a time and waits for its reply, as
/// the ZeroMQ guide's mdcliapi: each attempt waits <see cref="MajordomoClientOptions.Timeout"/>, a
/// timed-out attempt is sent again on a new socket (so a late reply to it cannot be taken for the
/// next one's), and after <see cref="MajordomoClientOptions.Attempts"/> the request fails with
/// <see cref="MajordomoTimeoutException"/>. Thread-safe: concurrent requests take turns. For many
/// requests in flight at once, use <see cref="MajordomoAsyncClient"/>.
/// </summary>
/// <example>
/// <code>
/// await using var client = new MajordomoClient("tcp://127.0.0.1:5555");
/// using var reply = await client.RequestAsync("echo", new Message("hello"));
/// </code>
/// </example>
public sealed class MajordomoClient : IAsyncDisposable, IDisposable
{
    private readonly MajordomoClientOptions _options;
    private readonly Context? _context;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private DealerSocket? _socket;
    private ServiceName? _lastService;
    private bool _disposed;

    /// <summary>Creates a client of the broker at <paramref name="brokerEndpoint"/>; it connects at once.</summary>
    /// <param name="brokerEndpoint">Where the broker is bound, such as <c>tcp://127.0.0.1:5555</c>.</param>
    /// <param name="options">Timeout and attempts; null for the defaults.</param>
    /// <param name="context">The context whose logger factory and inproc registry to use; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentException">The endpoint is empty.</exception>
    /// <exception cref="InvalidEndpointException">The endpoint cannot be parsed.</exception>
    public MajordomoClient(string brokerEndpoint, MajordomoClientOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(brokerEndpoint);
        BrokerEndpoint = brokerEndpoint;
        _options = options ?? MajordomoClientOptions.Default;
        _context = context;
        _logger = (context ?? Context.Default).LoggerFactory.CreateLogger("Baton.Patterns.MajordomoClient");
        _socket = Connect();
    }

    /// <summary>The broker's endpoint.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>The options the client runs with.</summary>
    public MajordomoClientOptions Options => _options;

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="service"/> and returns the reply's body
    /// frames (the caller's: dispose it). The request is the client's from the call on, as with a send.
    /// </summary>
    /// <param name="service">The service's name, or a broker service such as <c>mmi.service</c>.</param>
    /// <param name="request">The request body: at least one frame.</param>
    /// <param name="cancellationToken">Abandons the request (its reply, if one comes, is discarded).</param>
    /// <exception cref="MajordomoTimeoutException">No reply came within any of the attempts.</exception>
    /// <exception cref="ArgumentException">The service name is empty, or the request has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async ValueTask<Message> RequestAsync(string service, Message request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        if (request.Count == 0)
        {
            throw new ArgumentException("A Majordomo request needs at least one body frame.", nameof(request));
        }

        // The request is ours from here: sent, or disposed when it cannot be.
        var owned = true;
        try
        {
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            request.Dispose();
            throw;
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var serviceBytes = ServiceBytes(service);
            var serviceFrame = new Frame(serviceBytes);
            for (var attempt = 1; ; attempt++)
            {
                var last = attempt == _options.Attempts;

                // [empty][MDPC01][service][body...]; all but the last attempt send a copy, keeping the request for the next.
                var outgoing = last ? request : new Message(request.Body.CloneForFanOut());
                outgoing.Push(serviceFrame);
                outgoing.Push(ClientHeaderFrame);
                outgoing.Push(Frame.Empty);
                var socket = _socket!;
                try
                {
                    await socket.SendAsync(outgoing, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    if (!last)
                    {
                        outgoing.Dispose();
                    }

                    throw;
                }

                if (last)
                {
                    owned = false;
                }

                if (await ReceiveReplyAsync(socket, serviceBytes, cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    return reply;
                }

                // Timed out: the reply may still come, to this socket only; a new one never sees it.
                await ReconnectAsync().ConfigureAwait(false);
                if (last)
                {
                    throw new MajordomoTimeoutException(service, _options.Attempts, _options.Timeout);
                }

                MajordomoLog.ClientRetrying(_logger, service, (long)_options.Timeout.TotalMilliseconds, attempt, _options.Attempts);
            }
        }
        catch (OperationCanceledException)
        {
            // An abandoned request's reply must not answer the next request.
            await ReconnectAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (owned)
            {
                request.Dispose();
            }

            _turn.Release();
        }
    }

    /// <summary>The service name's bytes; a client asking the same service again reuses them (the frame over them is never written).</summary>
    private byte[] ServiceBytes(string service)
    {
        var cached = _lastService;
        if (cached is not null && cached.Name == service)
        {
            return cached.Bytes;
        }

        var bytes = Encoding.UTF8.GetBytes(service);
        _lastService = new ServiceName(service, bytes);
        return bytes;
    }

    private sealed record ServiceName(string Name, byte[] Bytes);

    /// <summary>Sends a request and blocks until its reply (see <see cref="RequestAsync"/>).</summary>
    /// <inheritdoc cref="RequestAsync" path="/exception"/>
    public Message Request(string service, Message request)
        => RequestAsync(service, request).AsTask().GetAwaiter().GetResult();

    /// <summary>Closes the client's socket; a request under way fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var socket = Interlocked.Exchange(ref _socket, null);
        if (socket is not null)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the client's socket; a request under way fails.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The reply for <paramref name="service"/>, its envelope removed, or null when the attempt timed out.</summary>
    private async ValueTask<Message?> ReceiveReplyAsync(DealerSocket socket, byte[] service, CancellationToken cancellationToken)
    {
        var deadline = _options.Timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)_options.Timeout.TotalMilliseconds;
        while (true)
        {
            var left = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            if (await socket.TryReceiveAsync(left, cancellationToken).ConfigureAwait(false) is not { } reply)
            {
                return null;
            }

            // [empty][MDPC01][service][body...]
            if (reply.Count >= 4 && reply.GetSpan(0).IsEmpty && reply.GetSpan(1).SequenceEqual(ClientHeader) && reply.GetSpan(2).SequenceEqual(service))
            {
                RemoveFront(reply, 3);
                return reply;
            }

            MajordomoLog.ClientDroppedReply(_logger, "not [empty][MDPC01][service][body] for the service asked");
            reply.Dispose();
        }
    }

    private DealerSocket Connect()
    {
        // Linger zero: what a socket we give up on still holds is a request already abandoned.
        var socket = new DealerSocket(new SocketOptions { Linger = TimeSpan.Zero, Security = _options.Security }, _context);
        try
        {
            socket.Connect(BrokerEndpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    private async ValueTask ReconnectAsync()
    {
        if (_disposed)
        {
            return;
        }

        var old = _socket;
        _socket = Connect();
        if (old is not null)
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }
    }
}
