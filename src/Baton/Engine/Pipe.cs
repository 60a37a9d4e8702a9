using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>
/// One peer as its socket sees it: the outbound queue bounded by the send HWM, the count of this
/// peer's messages waiting in the socket's inbound queue (bounded by the receive HWM), and what the
/// routing strategies need to know about the peer (identity, subscriptions).
/// </summary>
internal abstract class Pipe
{
    private int _inbound;
    private int _ready;

    protected Pipe(IPipeOwner owner, string endpoint)
    {
        Owner = owner;
        Endpoint = endpoint;
    }

    public IPipeOwner Owner { get; }

    /// <summary>The endpoint this peer came through, for logs and for unbind/disconnect.</summary>
    public string Endpoint { get; }

    /// <summary>The peer's socket type, known once the handshake is done.</summary>
    public PeerType? PeerType { get; set; }

    /// <summary>The Identity the peer announced, if any.</summary>
    public byte[]? PeerIdentity { get; set; }

    /// <summary>The routing id a ROUTER knows this peer by.</summary>
    public byte[]? RoutingId { get; set; }

    /// <summary>Prefixes this peer subscribed to (PUB and XPUB only).</summary>
    public SubscriptionSet Subscriptions { get; } = new();

    /// <summary>True once handshaken and attached, so routing may use it.</summary>
    public abstract bool IsConnected { get; }

    /// <summary>Queues a message for the peer; false when the HWM is reached or the pipe is gone.</summary>
    public abstract bool TryWrite(MessageBody message);

    /// <summary>Queues a one-frame message holding a copy of <paramref name="frame"/>; false when the HWM is reached or the pipe is gone.</summary>
    public virtual bool TryWrite(ReadOnlySpan<byte> frame)
    {
        var message = MessageBody.Copy(frame);
        if (TryWrite(message))
        {
            return true;
        }

        message.Release();
        return false;
    }

    /// <summary>True when <see cref="TryWrite(MessageBody)"/> would take a message now (a hint for pollers: racing senders may fill it first).</summary>
    public virtual bool HasRoom => false;

    /// <summary>Sends a subscription change ahead of data, ignoring HWM; dropped when not connected.</summary>
    public abstract void WriteControl(MessageBody message);

    /// <summary>Called by a sender that found this pipe full, before it waits: true when it made room.</summary>
    public virtual bool TryFlushFull() => false;

    /// <summary>How many inbound messages may wait before this peer is paused; 0 = no limit.</summary>
    public int ReceiveCapacity { get; set; }

    /// <summary>This peer's messages waiting in the socket's inbound queue.</summary>
    public int InboundCount => Volatile.Read(ref _inbound);

    /// <summary>True when this peer's inbound share of the socket queue is at its HWM.</summary>
    public bool IsInboundFull => ReceiveCapacity > 0 && Volatile.Read(ref _inbound) >= ReceiveCapacity;

    /// <summary>This peer's received messages waiting for the application (see FairQueue).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<MessageBody> Inbound { get; } = new();

    /// <summary>
    /// Marks the pipe as being in the fair queue's ready ring; false if it already is. The plain read
    /// first spares the usual case (already marked) a contended atomic; the caller's enqueue before it
    /// is interlocked, so a receiver clearing the mark meanwhile still sees the message.
    /// </summary>
    public bool TryMarkReady() => Volatile.Read(ref _ready) == 0 && Interlocked.CompareExchange(ref _ready, 1, 0) == 0;

    /// <summary>Takes the pipe out of the ring; true if a message slipped in meanwhile and the caller must put it back.</summary>
    public bool ClearReadyAndRecheck()
    {
        // A full fence: the enqueuer's message and its failed mark cannot both be missed.
        Interlocked.Exchange(ref _ready, 0);
        return !Inbound.IsEmpty && TryMarkReady();
    }

    /// <summary>Counts <paramref name="count"/> messages of this peer entering the socket's inbound queue.</summary>
    public void OnEnqueued(int count) => Interlocked.Add(ref _inbound, count);

    /// <summary>Counts a message of this peer leaving the socket's inbound queue.</summary>
    public void OnDequeued()
    {
        if (Interlocked.Decrement(ref _inbound) == LowWater(ReceiveCapacity))
        {
            OnInboundSpace();
        }
    }

    /// <summary>
    /// Where a full queue wakes its writer again: half way down, as libzmq's low-water mark, so a woken
    /// writer finds room for a batch instead of one message and the two sides do not wake each other per message.
    /// </summary>
    public static int LowWater(int capacity) => capacity > 0 ? capacity / 2 : -1;

    /// <summary>Called when the inbound share drops from its HWM to the low-water mark, to resume the peer.</summary>
    protected abstract void OnInboundSpace();

    /// <summary>Ends the pipe: its queued messages are discarded and it leaves the socket.</summary>
    public abstract void Terminate();
}
