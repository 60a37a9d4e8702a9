using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// A request-reply client of a Binary Star pair (the guide's bstarcli): sends each request to the
/// server it last heard from; when no reply comes within the timeout it closes its socket, waits for
/// the pair to settle, and sends the request again to the other server, which takes over if the
/// first is dead. After the last attempt it throws <see cref="BinaryStarUnavailableException"/>.
/// </summary>
/// <remarks>
/// A request may reach a server more than once (its reply lost with the server that died): make
/// requests safe to repeat. Requests are sent one at a time; concurrent calls wait their turn.
/// </remarks>
public sealed class BinaryStarClient : IAsyncDisposable
{
    private readonly string[] _endpoints;
    private readonly BinaryStarClientOptions _options;
    private readonly Context _context;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private ReqSocket? _socket;
    private int _current;
    private bool _disposed;

    /// <summary>Creates the client; it connects to the primary at the first request.</summary>
    /// <param name="primary">The primary server's frontend, e.g. <c>tcp://localhost:5001</c>.</param>
    /// <param name="backup">The backup server's frontend, e.g. <c>tcp://localhost:5002</c>.</param>
    /// <param name="options">Timeout, settle delay and attempts; null for the guide's.</param>
    /// <param name="context">The context of the client's socket; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentNullException">An endpoint is null.</exception>
    public BinaryStarClient(string primary, string backup, BinaryStarClientOptions? options = null, Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(backup);
        _endpoints = [primary, backup];
        _options = options ?? BinaryStarClientOptions.Default;
        _context = context ?? Context.Default;
        _logger = _context.LoggerFactory.CreateLogger("Baton.Patterns.BinaryStarClient");
    }

    /// <summary>The server the next request goes to: the one that answered last, the primary at first.</summary>
    public string CurrentEndpoint => _endpoints[Volatile.Read(ref _current)];

    /// <summary>
    /// Sends <paramref name="request"/> (the message is the client's from now on, as with any send) and
    /// returns the reply, failing over between the servers as needed.
    /// </summary>
    /// <exception cref="BinaryStarUnavailableException">No server replied within <see cref="BinaryStarClientOptions.MaxAttempts"/> attempts.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    public async Task<Message> RequestAsync(Message request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Frames taken out of the message stay valid: each attempt sends a new message of the same frames.
        var frames = new Frame[request.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = request[i];
        }

        request.Dispose();
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (await TryOnceAsync(frames, cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    return reply;
                }

                // A REQ that got no reply cannot send again: a new socket, and to the other server.
                var silent = CurrentEndpoint;
                await CloseSocketAsync().ConfigureAwait(false);
                if (attempt >= _options.MaxAttempts)
                {
                    throw new BinaryStarUnavailableException(
                        $"No reply from either Binary Star server ({_endpoints[0]}, {_endpoints[1]}) after {attempt} attempts of {(long)_options.RequestTimeout.TotalMilliseconds} ms each.",
                        _endpoints,
                        attempt);
                }

                Volatile.Write(ref _current, 1 - _current);
                BinaryStarLog.ClientTimeout(_logger, silent, (long)_options.RequestTimeout.TotalMilliseconds, attempt, _options.MaxAttempts, CurrentEndpoint);

                // Give the other server time to see its peer silent for two heartbeats, or it will refuse us too.
                await Task.Delay(_options.SettleDelay, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Closes the client's socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseSocketAsync().ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>One send and wait for the reply on the current server; null when the timeout passed first.</summary>
    private async Task<Message?> TryOnceAsync(Frame[] frames, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            // Linger zero: a request nobody took is worth nothing once we have moved on.
            var security = Volatile.Read(ref _current) == 0 ? _options.Security : _options.BackupSecurity ?? _options.Security;
            _socket = new ReqSocket(new SocketOptions { Linger = TimeSpan.Zero, Security = security }, _context);
            _socket.Connect(CurrentEndpoint);
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.RequestTimeout);
        var message = new Message(frames);
        try
        {
            await _socket.SendAsync(message, attempt.Token).ConfigureAwait(false);
            return await _socket.ReceiveAsync(attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            // Does nothing when the socket took it.
            message.Dispose();
        }
    }

    private async ValueTask CloseSocketAsync()
    {
        if (_socket is { } socket)
        {
            _socket = null;
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }
}
