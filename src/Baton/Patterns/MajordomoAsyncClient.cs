using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using static Baton.Patterns.MajordomoProtocol;

namespace Baton.Patterns;

/// <summary>
/// The asynchronous Majordomo client (7/MDP, MDPC01), as the ZeroMQ guide's mdcliapi2: sends do not
/// wait for replies, so many requests can be in flight at once, and replies are received as they
/// come, each naming its service. There are no retries: a lost request is the caller's to time out
/// (with <see cref="TryReceiveAsync"/>) and send again. Thread-safe: one task may send while another
/// receives.
/// </summary>
/// <example>
/// <code>
/// await using var client = new MajordomoAsyncClient("tcp://127.0.0.1:5555");
/// for (var i = 0; i &lt; 100; i++)
/// {
///     await client.SendAsync("echo", new Message($"request {i}"));
/// }
///
/// for (var i = 0; i &lt; 100; i++)
/// {
///     using var reply = await client.ReceiveAsync();
/// }
/// </code>
/// </example>
public sealed class MajordomoAsyncClient : IAsyncDisposable, IDisposable
{
    private readonly DealerSocket _socket;
    private readonly ILogger _logger;

    // The last service name sent and received: asking the same services again allocates nothing.
    private ServiceName? _lastSent;
    private ServiceName? _lastReceived;

    /// <summary>Creates a client of the broker at <paramref name="brokerEndpoint"/>; it connects at once.</summary>
    /// <param name="brokerEndpoint">Where the broker is bound, such as <c>tcp://127.0.0.1:5555</c>.</param>
    /// <param name="options">
    /// The socket's options (high-water marks, linger, and <see cref="SocketOptions.Security"/>: the client side of the
    /// broker's <see cref="MajordomoBrokerOptions.Security"/>); null for the defaults.
    /// </param>
    /// <param name="context">The context whose logger factory and inproc registry to use; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentException">The endpoint is empty.</exception>
    /// <exception cref="InvalidEndpointException">The endpoint cannot be parsed.</exception>
    public MajordomoAsyncClient(string brokerEndpoint, SocketOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(brokerEndpoint);
        BrokerEndpoint = brokerEndpoint;
        _socket = new DealerSocket(options, context);
        _logger = _socket.Context.LoggerFactory.CreateLogger("Baton.Patterns.MajordomoAsyncClient");
        try
        {
            _socket.Connect(brokerEndpoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>The broker's endpoint.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="service"/> without waiting for the reply. The
    /// message is handed over from the call on: sent, or disposed if the send fails or is cancelled.
    /// </summary>
    /// <param name="service">The service's name, or a broker service such as <c>mmi.service</c>.</param>
    /// <param name="request">The request body: at least one frame.</param>
    /// <param name="cancellationToken">Stops waiting for room to send (at the high-water mark).</param>
    /// <exception cref="ArgumentException">The service name is empty, or the request has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask SendAsync(string service, Message request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        if (request.Count == 0)
        {
            throw new ArgumentException("A Majordomo request needs at least one body frame.", nameof(request));
        }

        var name = _lastSent;
        if (name is null || name.Name != service)
        {
            name = new ServiceName(service, Encoding.UTF8.GetBytes(service));
            _lastSent = name;
        }

        // [empty][MDPC01][service][body...]
        request.Push(new Frame(name.Bytes));
        request.Push(ClientHeaderFrame);
        request.Push(Frame.Empty);
        ValueTask pending;
        try
        {
            pending = _socket.SendAsync(request, cancellationToken);
        }
        catch
        {
            request.Dispose();
            throw;
        }

        return pending.IsCompletedSuccessfully ? default : AwaitSendAsync(pending, request);

        static async ValueTask AwaitSendAsync(ValueTask pending, Message request)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch
            {
                // It carries our envelope now: a send that did not happen disposes it rather than hand it back changed.
                request.Dispose();
                throw;
            }
        }
    }

    /// <summary>Receives the next reply, waiting until one comes.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async ValueTask<MajordomoReply> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var message = await _socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (Open(message) is { } reply)
            {
                return reply;
            }
        }
    }

    /// <summary>
    /// Receives the next reply if one comes within <paramref name="timeout"/>, else returns null (as the
    /// guide's mdcliapi2 recv returns None).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async ValueTask<MajordomoReply?> TryReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        while (true)
        {
            var left = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            if (await _socket.TryReceiveAsync(left, cancellationToken).ConfigureAwait(false) is not { } message)
            {
                return null;
            }

            if (Open(message) is { } reply)
            {
                return reply;
            }
        }
    }

    /// <summary>Closes the client's socket.</summary>
    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    /// <summary>Closes the client's socket.</summary>
    public void Dispose() => _socket.Dispose();

    /// <summary>A reply without its envelope, or null (and the message disposed) for one that is not a reply.</summary>
    private MajordomoReply? Open(Message message)
    {
        // [empty][MDPC01][service][body...]
        if (message.Count < 4 || !message.GetSpan(0).IsEmpty || !message.GetSpan(1).SequenceEqual(ClientHeader))
        {
            MajordomoLog.ClientDroppedReply(_logger, "not [empty][MDPC01][service][body]");
            message.Dispose();
            return null;
        }

        var name = _lastReceived;
        if (name is null || !message.GetSpan(2).SequenceEqual(name.Bytes))
        {
            var bytes = message.GetSpan(2).ToArray();
            name = new ServiceName(Encoding.UTF8.GetString(bytes), bytes);
            _lastReceived = name;
        }

        RemoveFront(message, 3);
        return new MajordomoReply(name.Name, message);
    }

    private sealed record ServiceName(string Name, byte[] Bytes);
}
