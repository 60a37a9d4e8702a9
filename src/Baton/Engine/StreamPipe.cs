using System.Collections.Concurrent;
using Baton.Internal;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Engine;

/// <summary>
/// A pipe to a peer over a byte stream (tcp or ipc). It may outlive one connection: a connecting
/// socket keeps its pipe across reconnects so messages queue while the peer is away.
/// </summary>
internal sealed class StreamPipe : Pipe
{
    private readonly ConcurrentQueue<Message> _outbound = new();
    private readonly int _sendCapacity;
    private int _outboundCount;
    private volatile Connection? _connection;
    private volatile bool _terminated;

    public StreamPipe(ZmqSocket owner, string endpoint, SocketOptions options)
        : base(owner, endpoint)
    {
        _sendCapacity = options.SendHighWatermark;
        ReceiveCapacity = options.ReceiveHighWatermark;
    }

    /// <summary>Woken when there is something to write: a message or a command.</summary>
    public AutoResetSignal OutboundSignal { get; } = new();

    /// <summary>Woken when the inbound share drops below HWM.</summary>
    public AutoResetSignal InboundSpace { get; } = new();

    public Connection? Connection => _connection;

    public override bool IsConnected => _connection is not null && !_terminated;

    public bool IsTerminated => _terminated;

    public int OutboundCount => Volatile.Read(ref _outboundCount);

    public override bool TryWrite(Message message)
    {
        if (_terminated)
        {
            return false;
        }

        if (_sendCapacity > 0)
        {
            // Reserve a slot without ever overshooting the HWM: a sender that found the queue full is
            // then always woken by the write loop's step down to the low-water mark, so no wake-up is lost.
            var count = Volatile.Read(ref _outboundCount);
            while (true)
            {
                if (count >= _sendCapacity)
                {
                    return false;
                }

                var seen = Interlocked.CompareExchange(ref _outboundCount, count + 1, count);
                if (seen == count)
                {
                    break;
                }

                count = seen;
            }
        }
        else
        {
            Interlocked.Increment(ref _outboundCount);
        }

        _outbound.Enqueue(message);
        OutboundSignal.Set();
        return true;
    }

    public override void WriteControl(Message message)
    {
        var connection = _connection;
        if (connection is null || _terminated)
        {
            return;
        }

        connection.EnqueueSubscription(message);
    }

    /// <summary>Takes the next queued message (write loop only).</summary>
    public bool TryDequeue(out Message message)
    {
        if (!_outbound.TryDequeue(out message!))
        {
            return false;
        }

        if (Interlocked.Decrement(ref _outboundCount) == LowWater(_sendCapacity))
        {
            Owner.PulseWritable();
        }

        return true;
    }

    public void Attach(Connection connection) => _connection = connection;

    public void Detach(Connection connection)
    {
        if (_connection == connection)
        {
            _connection = null;
        }
    }

    protected override void OnInboundSpace() => InboundSpace.Set();

    public override void Terminate()
    {
        if (_terminated)
        {
            return;
        }

        _terminated = true;
        while (_outbound.TryDequeue(out var message))
        {
            message.Release();
        }

        Volatile.Write(ref _outboundCount, 0);
        OutboundSignal.Set();
        InboundSpace.Set();
        Owner.DetachPipe(this);
    }
}
