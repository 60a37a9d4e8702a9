using System.Diagnostics.Metrics;

namespace Baton.Internal;

/// <summary>
/// The instruments one socket type counts with, and its live connection count (read by the
/// observable <c>baton.connections</c>). A socket holds its own in a field, so counting a message is a
/// field read and a branch when nobody listens.
/// </summary>
internal sealed class SocketMetrics
{
    private long _connections;

    internal SocketMetrics(BatonMetrics owner, string socketType)
    {
        SocketType = socketType;
        Tag = new("socket.type", socketType);
        MessagesSent = owner.MessagesSent;
        MessagesReceived = owner.MessagesReceived;
        MessagesDropped = owner.MessagesDropped;
        PeersDropped = owner.PeersDropped;
    }

    public string SocketType { get; }

    /// <summary>The socket-type tag of every measurement.</summary>
    public KeyValuePair<string, object?> Tag { get; }

    public Counter<long> MessagesSent { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> MessagesDropped { get; }

    public Counter<long> PeersDropped { get; }

    /// <summary>Handshaken connections of sockets of this type, now.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>A connection finished its handshake. Counted whether or not anyone listens, so a late listener sees the truth.</summary>
    public void ConnectionOpened() => Interlocked.Increment(ref _connections);

    /// <summary>A handshaken connection ended.</summary>
    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    /// <summary>A peer was dropped for breaking the protocol or a rule of the socket.</summary>
    public void PeerDropped()
    {
        if (PeersDropped.Enabled)
        {
            PeersDropped.Add(1, Tag);
        }
    }
}
