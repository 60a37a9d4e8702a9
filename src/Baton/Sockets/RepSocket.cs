using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// REP: receives a request, then sends its reply. The request's routing envelope (everything up to
/// the empty delimiter) is kept and put back on the reply, which goes to the peer the request came from.
/// </summary>
public sealed class RepSocket : ZmqSocket
{
    private readonly Lock _lock = new();
    private bool _replying;
    private MessageBody? _envelope;
    private Pipe? _replyPipe;

    /// <summary>Creates a REP socket.</summary>
    public RepSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Rep, options, context)
    {
    }

    private protected override bool TrySendCore(MessageBody message)
    {
        lock (_lock)
        {
            if (!_replying)
            {
                throw new InvalidOperationException("A REP socket must receive a request before it can send a reply.");
            }

            message.PushEnvelope(_envelope!);
            var pipe = _replyPipe!;
            _replying = false;
            _envelope = null;
            _replyPipe = null;
            if (!pipe.TryWrite(message))
            {
                // The requester is gone or full: the reply is dropped, as libzmq does.
                message.Release();
                CountDropped();
            }
        }

        OnTurnChanged();
        return true;
    }

    private protected override void BeforeReceive()
    {
        lock (_lock)
        {
            if (_replying)
            {
                throw new InvalidOperationException("A REP socket must send the reply to the last request before receiving another.");
            }
        }
    }

    private protected override bool OnReceive(ref MessageBody message, Pipe? pipe)
    {
        var delimiter = Delimiter(message);
        if (delimiter < 0 || pipe is null)
        {
            // No envelope: not a request; libzmq drops it too.
            return false;
        }

        lock (_lock)
        {
            _envelope = message.PopEnvelope(delimiter + 1);
            _replyPipe = pipe;
            _replying = true;
        }

        OnTurnChanged();
        return true;
    }

    /// <summary>The index of the empty frame that ends the request's envelope; -1 when there is none.</summary>
    private static int Delimiter(MessageBody message)
    {
        for (var i = 0; i < message.FrameCount; i++)
        {
            if (message.FrameAt(i).IsEmpty)
            {
                return i;
            }
        }

        return -1;
    }

    private protected override bool TakesTurns => true;

    private protected override bool IsReceiveTurn
    {
        get
        {
            lock (_lock)
            {
                return !_replying;
            }
        }
    }

    private protected override bool IsSendTurn
    {
        get
        {
            lock (_lock)
            {
                return _replying;
            }
        }
    }

    // The reply goes to the requester's pipe or is dropped: it never waits.
    private protected override bool IsSendReadyCore() => true;

    private protected override bool ScreensReceived => true;

    private protected override bool WouldAccept(MessageBody message, Pipe? pipe) => pipe is not null && Delimiter(message) >= 0;
}
