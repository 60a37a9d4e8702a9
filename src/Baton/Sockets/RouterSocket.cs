using System.Buffers.Binary;
using System.Text;
using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// ROUTER: each received message starts with the identity of the peer it came from; a sent message
/// starts with the identity of the peer to send it to. Unknown identities are dropped, or raise
/// <see cref="UnroutableMessageException"/> with <see cref="SocketOptions.RouterMandatory"/>.
/// </summary>
public sealed class RouterSocket : ZmqSocket
{
    private readonly Lock _lock = new();
    private readonly Dictionary<byte[], Pipe> _routes = new(IdentityComparer.Instance);
    private uint _nextId = (uint)Random.Shared.Next();

    /// <summary>Creates a ROUTER socket.</summary>
    public RouterSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Router, options, context)
    {
    }

    private protected override bool TrySendCore(MessageBody message)
    {
        if (message.FrameCount == 1)
        {
            // Only an identity, nothing to deliver: libzmq drops such a message too.
            message.Release();
            CountDropped();
            return true;
        }

        Pipe? pipe;
        lock (_lock)
        {
            _routes.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(message.FrameAt(0).Span, out pipe);
        }

        if (pipe is null)
        {
            if (Options.RouterMandatory)
            {
                throw new UnroutableMessageException(message.FrameAt(0).Span);
            }

            message.Release();
            CountDropped();
            return true;
        }

        var identity = message.PopFrame();
        if (pipe.TryWrite(message))
        {
            identity.ReturnToPool();
            return true;
        }

        if (Options.RouterMandatory)
        {
            message.PushFrame(identity);
            return false;
        }

        identity.ReturnToPool();

        message.Release();
        CountDropped();
        return true;
    }

    // Unroutable messages are dropped, so a send waits only with RouterMandatory (then, as libzmq, when any peer has room).
    private protected override bool IsSendReadyCore() => !Options.RouterMandatory || AnyPipeHasRoom();

    private protected override bool ScreensReceived => true;

    private protected override bool WouldAccept(MessageBody message, Pipe? pipe) => pipe?.RoutingId is not null;

    private protected override bool OnReceive(ref MessageBody message, Pipe? pipe)
    {
        if (pipe?.RoutingId is not { } id)
        {
            return false;
        }

        message.PushFrame(new Frame(id));
        return true;
    }

    private protected override bool OnConnected(Pipe pipe, out string? refusal)
    {
        lock (_lock)
        {
            var id = pipe.PeerIdentity;
            if (id is null)
            {
                id = new byte[5];
                BinaryPrimitives.WriteUInt32BigEndian(id.AsSpan(1), ++_nextId);
            }

            if (_routes.TryGetValue(id, out var existing) && existing != pipe)
            {
                if (!Options.RouterHandover)
                {
                    refusal = $"identity '{Encoding.UTF8.GetString(id)}' is already in use by another peer";
                    return false;
                }

                existing.RoutingId = null;
            }

            pipe.RoutingId = id;
            _routes[id] = pipe;
        }

        refusal = null;
        return true;
    }

    private protected override void OnDisconnected(Pipe pipe)
    {
        lock (_lock)
        {
            if (pipe.RoutingId is { } id)
            {
                if (_routes.TryGetValue(id, out var current) && current == pipe)
                {
                    _routes.Remove(id);
                }
            }
        }
    }
}
