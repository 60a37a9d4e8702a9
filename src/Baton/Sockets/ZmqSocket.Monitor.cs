using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Baton.Sockets;

public abstract partial class ZmqSocket
{
    private readonly Lock _monitorsLock = new();
    private Channel<SocketEvent>[] _monitors = [];

    /// <summary>
    /// Streams this socket's events (binds, accepted and dropped peers with the reason, connect
    /// retries) from now until cancelled or the socket closes. A slow reader loses the oldest events
    /// beyond 1,000, never blocking the socket.
    /// </summary>
    public IAsyncEnumerable<SocketEvent> MonitorAsync(CancellationToken cancellationToken = default)
    {
        // Registered now, not at the first MoveNextAsync, so events right after this call are kept.
        var channel = Channel.CreateBounded<SocketEvent>(new BoundedChannelOptions(1000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_monitorsLock)
        {
            _monitors = [.. _monitors, channel];
        }

        if (_closed)
        {
            channel.Writer.TryComplete();
        }

        return ReadEventsAsync(channel, cancellationToken);
    }

    private async IAsyncEnumerable<SocketEvent> ReadEventsAsync(Channel<SocketEvent> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            lock (_monitorsLock)
            {
                var list = new List<Channel<SocketEvent>>(_monitors);
                list.Remove(channel);
                _monitors = [.. list];
            }
        }
    }

    internal void Raise(SocketEventKind kind, string endpoint, string? reason = null, string? peerAddress = null)
    {
        var monitors = Volatile.Read(ref _monitors);
        foreach (var monitor in monitors)
        {
            monitor.Writer.TryWrite(new SocketEvent(kind, endpoint, reason, peerAddress));
        }
    }

    private void CompleteMonitors()
    {
        foreach (var monitor in Volatile.Read(ref _monitors))
        {
            monitor.Writer.TryComplete();
        }
    }
}
