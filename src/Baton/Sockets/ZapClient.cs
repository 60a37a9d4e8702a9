using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Baton.Messages;
using Baton.Wire;
using Baton.Wire.Mechanisms;
using Microsoft.Extensions.Logging;

namespace Baton.Sockets;

/// <summary>
/// The ZAP client of one <see cref="Context"/> (RFC 27, https://rfc.zeromq.org/spec/27/): what server
/// handshakes ask the handler bound at inproc://zeromq.zap.01. One DEALER, made when a handler is first
/// asked, carries every request of the context; replies are matched by request id, so any number of
/// handshakes wait at once and none blocks a thread (the connection awaits the reply, then hops back to its
/// I/O thread). A reply that breaks RFC 27 refuses the peer (as libzmq's ZMQ_PROTOCOL_ERROR_ZAP_*); a
/// handler that goes away refuses the peers it had not answered yet.
/// </summary>
internal sealed partial class ZapClient
{
    /// <summary>The inproc name ZAP handlers bind (RFC 27).</summary>
    public const string Name = "zeromq.zap.01";

    /// <summary>The endpoint ZAP handlers bind (RFC 27).</summary>
    public const string Endpoint = "inproc://" + Name;

    private static ReadOnlySpan<byte> Version => "1.0"u8;

    private readonly Context _context;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Session? _session;
    private long _nextRequestId;

    public ZapClient(Context context)
    {
        _context = context;
        _logger = context.LoggerFactory.CreateLogger("Baton.Security.Zap");
        context.Inproc.Unbound += OnUnbound;
    }

    /// <summary>
    /// Asks the handler about a peer at <paramref name="address"/>; null when no handler is bound. Throws
    /// <see cref="PeerException"/> when the reply is malformed or the handler goes away before answering,
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public ValueTask<ZapReply?> AuthenticateAsync(ZapRequest request, string domain, string address, byte[]? identity, CancellationToken cancellationToken)
    {
        var session = GetSession();
        if (session is null)
        {
            return ValueTask.FromResult<ZapReply?>(null);
        }

        var id = Interlocked.Increment(ref _nextRequestId).ToString(CultureInfo.InvariantCulture);
        var pending = new TaskCompletionSource<ZapReply?>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Pending[id] = pending;
        if (session.Ended)
        {
            // The handler left between GetSession and now: the session's end may have missed this request.
            session.Pending.TryRemove(id, out _);
            throw new PeerException("the ZAP handler went away before answering");
        }

        var message = new Message(Frame.Empty, Version.ToArray(), Encoding.ASCII.GetBytes(id), Encoding.UTF8.GetBytes(domain),
            Encoding.UTF8.GetBytes(address), identity ?? [], Encoding.ASCII.GetBytes(request.Mechanism));
        foreach (var credential in request.Credentials)
        {
            message.Append(credential);
        }

        return AwaitReplyAsync(session, id, pending, message, cancellationToken);
    }

    private async ValueTask<ZapReply?> AwaitReplyAsync(Session session, string id, TaskCompletionSource<ZapReply?> pending, Message message, CancellationToken cancellationToken)
    {
        try
        {
            // No send limit on the ZAP socket (as libzmq): this completes at once.
            await session.Dealer.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            throw new PeerException("the ZAP handler went away before answering");
        }
        finally
        {
            session.Pending.TryRemove(id, out _);
        }
    }

    /// <summary>The session with the handler bound now; a new one when the handler changed; null when none is bound.</summary>
    private Session? GetSession()
    {
        lock (_lock)
        {
            if (!_context.Inproc.TryGetBound(Name, out var handler))
            {
                return null;
            }

            if (_session is { Ended: false } current && current.Handler == handler)
            {
                return current;
            }

            EndSessionLocked();
            DealerSocket dealer;
            try
            {
                dealer = new DealerSocket(new SocketOptions { SendHighWatermark = 0, ReceiveHighWatermark = 0, Linger = TimeSpan.Zero }, _context);
            }
            catch (ObjectDisposedException)
            {
                throw new PeerException("the context is closing");
            }

            try
            {
                dealer.Connect(Endpoint);
            }
            catch (Exception e) when (e is IncompatibleSocketTypeException or ObjectDisposedException)
            {
                dealer.Dispose();
                LogHandlerUnusable(_logger, e.Message);
                throw new PeerException($"the ZAP handler at {Endpoint} cannot be asked: {e.Message}");
            }

            var session = new Session(handler, dealer);
            _session = session;
            _ = ReceiveLoopAsync(session);
            return session;
        }
    }

    private void OnUnbound(string name, ZmqSocket socket)
    {
        if (name != Name)
        {
            return;
        }

        lock (_lock)
        {
            if (_session?.Handler == socket)
            {
                EndSessionLocked();
            }
        }
    }

    private void EndSessionLocked()
    {
        var session = _session;
        _session = null;
        if (session is null || session.Ended)
        {
            return;
        }

        session.Ended = true;
        session.FailAll();

        // Linger 0: nothing to wait for; closing may not run on the caller's thread (it may be an I/O thread).
        _ = Task.Run(async () => await session.Dealer.DisposeAsync().ConfigureAwait(false));
    }

    private async Task ReceiveLoopAsync(Session session)
    {
        try
        {
            while (true)
            {
                using var reply = await session.Dealer.ReceiveAsync().ConfigureAwait(false);
                HandleReply(session, reply);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            // The session ended (the handler went away) or the context closed.
        }
        finally
        {
            lock (_lock)
            {
                if (_session == session)
                {
                    EndSessionLocked();
                }
            }

            session.FailAll();
        }
    }

    private void HandleReply(Session session, Message reply)
    {
        // [empty] "1.0" request-id status-code status-text user-id metadata (RFC 27 "Reply")
        if (reply.Count < 3 || reply.GetSpan(0).Length != 0)
        {
            LogMalformedReply(_logger, "?", $"{reply.Count} frame(s) without the empty delimiter and a request id");
            return;
        }

        var id = Encoding.ASCII.GetString(reply.GetSpan(2));
        if (!session.Pending.TryRemove(id, out var pending))
        {
            LogUnmatchedReply(_logger, id);
            return;
        }

        var error = Validate(reply, out var status);
        if (error is not null)
        {
            LogMalformedReply(_logger, id, error);
            pending.TrySetException(new PeerException($"refused: malformed ZAP reply ({error})"));
            return;
        }

        pending.TrySetResult(new ZapReply(status, reply[4].ToString(), reply[5].ToString(), reply[6].ToArray()));
    }

    /// <summary>What is wrong with a reply (as libzmq's zap_client checks it), or null.</summary>
    private static string? Validate(Message reply, out string status)
    {
        status = "";
        if (reply.Count != 7)
        {
            return $"{reply.Count} frames instead of 7";
        }

        if (!reply.GetSpan(1).SequenceEqual(Version))
        {
            return $"version '{reply[1]}' instead of 1.0";
        }

        var code = reply.GetSpan(3);
        if (code.Length != 3 || code[0] < '2' || code[0] > '5' || code[1] != '0' || code[2] != '0')
        {
            return $"status code '{Encoding.ASCII.GetString(code)}' is not 200, 300, 400 or 500";
        }

        if (!Metadata.TryParse(reply.GetSpan(6), out _, out var metadataError))
        {
            return $"bad metadata: {metadataError}";
        }

        status = Encoding.ASCII.GetString(code);
        return null;
    }

    [LoggerMessage(EventId = 8140, Level = LogLevel.Warning, Message = "Malformed ZAP reply to request {RequestId}, the peer is refused: {Reason}")]
    private static partial void LogMalformedReply(ILogger logger, string requestId, string reason);

    [LoggerMessage(EventId = 8141, Level = LogLevel.Debug, Message = "ZAP reply to request {RequestId}, which nobody awaits (cancelled, or a handler's mistake): ignored")]
    private static partial void LogUnmatchedReply(ILogger logger, string requestId);

    [LoggerMessage(EventId = 8142, Level = LogLevel.Warning, Message = "The ZAP handler bound at inproc://zeromq.zap.01 cannot be asked, the peer is refused: {Reason}")]
    private static partial void LogHandlerUnusable(ILogger logger, string reason);

    /// <summary>The DEALER talking to one handler, and the requests it awaits replies to.</summary>
    private sealed class Session(ZmqSocket handler, DealerSocket dealer)
    {
        public ZmqSocket Handler { get; } = handler;

        public DealerSocket Dealer { get; } = dealer;

        public ConcurrentDictionary<string, TaskCompletionSource<ZapReply?>> Pending { get; } = new(StringComparer.Ordinal);

        public volatile bool Ended;

        public void FailAll()
        {
            foreach (var id in Pending.Keys)
            {
                if (Pending.TryRemove(id, out var pending))
                {
                    pending.TrySetException(new PeerException("refused: the ZAP handler went away before answering"));
                }
            }
        }
    }
}
