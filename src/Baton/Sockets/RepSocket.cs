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

            return true;
        }
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
        var delimiter = -1;
        for (var i = 0; i < message.FrameCount; i++)
        {
            if (message.FrameAt(i).IsEmpty)
            {
                delimiter = i;
                break;
            }
        }

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

        return true;
    }
}
