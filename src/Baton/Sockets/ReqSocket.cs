using System.Buffers.Binary;
using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// REQ: sends a request, then must receive its reply before the next request. Requests go
/// round-robin with an empty delimiter in front; only the reply from the peer that got the request
/// is accepted. <see cref="SocketOptions.RequestRelaxed"/> allows a new request when a peer vanished,
/// <see cref="SocketOptions.RequestCorrelate"/> tags requests so stale replies are dropped.
/// </summary>
public sealed class ReqSocket : ZmqSocket
{
    private readonly LoadBalancer _balancer = new();
    private readonly Lock _lock = new();
    private bool _awaitingReply;
    private Pipe? _replyPipe;
    private uint _requestId = (uint)Random.Shared.Next();

    /// <summary>Creates a REQ socket.</summary>
    public ReqSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Req, options, context)
    {
    }

    private protected override bool TrySendCore(MessageBody message)
    {
        lock (_lock)
        {
            var options = Options;
            if (_awaitingReply && !options.RequestRelaxed)
            {
                throw new InvalidOperationException("A REQ socket must receive the reply to its request before sending another (or set RequestRelaxed).");
            }

            message.PushFrame(Frame.Empty);
            var id = _requestId + 1;
            if (options.RequestCorrelate)
            {
                var tag = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(tag, id);
                message.PushFrame(new Frame(tag));
            }

            if (!_balancer.TrySend(Pipes, message, out var pipe))
            {
                if (options.RequestCorrelate)
                {
                    message.PopFrame();
                }

                message.PopFrame();
                return false;
            }

            _requestId = id;
            _replyPipe = pipe;
            _awaitingReply = true;
        }

        OnTurnChanged();
        return true;
    }

    private protected override void BeforeReceive()
    {
        lock (_lock)
        {
            if (!_awaitingReply)
            {
                throw new InvalidOperationException("A REQ socket must send a request before it can receive a reply.");
            }
        }
    }

    private protected override bool OnReceive(ref MessageBody message, Pipe? pipe)
    {
        lock (_lock)
        {
            if (!IsReply(message, pipe, out var envelope))
            {
                return false;
            }

            message.PopEnvelope(envelope).Release();
            _awaitingReply = false;
            _replyPipe = null;
        }

        OnTurnChanged();
        return true;
    }

    /// <summary>True when <paramref name="message"/> is the awaited reply; <paramref name="envelope"/> is the count of frames to strip.</summary>
    private bool IsReply(MessageBody message, Pipe? pipe, out int envelope)
    {
        envelope = 0;
        if (!_awaitingReply || pipe != _replyPipe)
        {
            return false;
        }

        var index = 0;
        if (Options.RequestCorrelate)
        {
            if (message.FrameCount < 1 || message.FrameAt(0).Length != 4 || BinaryPrimitives.ReadUInt32BigEndian(message.FrameAt(0).Span) != _requestId)
            {
                return false;
            }

            index = 1;
        }

        if (message.FrameCount <= index || !message.FrameAt(index).IsEmpty)
        {
            return false;
        }

        envelope = index + 1;
        return true;
    }

    private protected override bool TakesTurns => true;

    private protected override bool IsReceiveTurn
    {
        get
        {
            lock (_lock)
            {
                return _awaitingReply;
            }
        }
    }

    private protected override bool IsSendTurn
    {
        get
        {
            lock (_lock)
            {
                return !_awaitingReply || Options.RequestRelaxed;
            }
        }
    }

    private protected override bool ScreensReceived => true;

    private protected override bool WouldAccept(MessageBody message, Pipe? pipe)
    {
        lock (_lock)
        {
            return IsReply(message, pipe, out _);
        }
    }
}
