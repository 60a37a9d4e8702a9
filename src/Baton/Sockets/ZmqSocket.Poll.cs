using Baton.Engine;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

// What a Poller asks of a socket: readiness that does not consume, and the event counts that move when
// it may have changed.
public abstract partial class ZmqSocket
{
    // Moves when readiness may change without a message arriving or room appearing: a REQ or REP taking
    // its turn, the socket starting to close. Always Notify (an interlocked increment): the state it
    // announces is written under the type's lock, which is no fence for a NotifyIfWaiting read.
    private readonly EventCount _pollState = new();

    // WouldAccept as the fair queue takes it; made on first use, by the screening types only.
    private Func<MessageBody, Pipe, bool>? _accepts;

    /// <summary>Moves on each arrival, and when the socket starts closing.</summary>
    internal EventCount ArrivalEvents => _inbound.Arrivals;

    /// <summary>Moves when room may have appeared, and when the socket starts closing.</summary>
    internal EventCount WritableEvents => _writable;

    /// <summary>Moves when a REQ or REP takes its turn, and when the socket starts closing.</summary>
    internal EventCount PollStateEvents => _pollState;

    /// <summary>True once closing has started.</summary>
    internal bool IsClosed => _closed;

    /// <summary>True for types whose readiness depends on whose turn it is (REQ, REP): pollers also watch <see cref="PollStateEvents"/>.</summary>
    internal bool HasTurns => TakesTurns;

    /// <summary>True when the receive state allows receiving now (REQ awaiting a reply, REP not replying).</summary>
    internal bool ReceiveTurn => IsReceiveTurn;

    /// <summary>True when the send state allows sending now (REQ not awaiting a reply, REP replying).</summary>
    internal bool SendTurn => IsSendTurn;

    /// <summary>
    /// True when <see cref="ReceiveAsync"/> would return a message without waiting, unless another
    /// receiver takes it first. Messages the socket type would drop at the head of the queue (a REQ's
    /// stale reply, a REP's request with no envelope, a ROUTER's from a handed-over peer) are dropped
    /// here, as a receive would drop them; nothing the application would receive is consumed.
    /// </summary>
    internal bool IsReceiveReady()
    {
        if (!CanReceive || _closed || !IsReceiveTurn)
        {
            return false;
        }

        if (!ScreensReceived)
        {
            return _inbound.HasMessages;
        }

        // Most often the head is one a receive returns: a look, no claim. Otherwise drop the refuse as a
        // receive would, taking pipes as receivers do, so a racing receiver loses and reorders nothing.
        if (_inbound.TryPeek(out var head, out var headPipe) && WouldAccept(head, headPipe == _local ? null : headPipe))
        {
            return true;
        }

        return _inbound.HasMessages && _inbound.DropRefusedAhead(_accepts ??= (message, pipe) => WouldAccept(message, pipe == _local ? null : pipe));
    }

    /// <summary>True when a send would not wait (or would be dropped by design, as PUB's): libzmq's POLLOUT.</summary>
    internal bool IsSendReady() => CanSend && !_closed && IsSendTurn && IsSendReadyCore();

    /// <summary>Wakes pollers when closing starts: they report the socket closed and drop it.</summary>
    private void NotifyPollersClosing()
    {
        _inbound.Arrivals.Notify();
        _pollState.Notify();
    }

    /// <summary>A REQ or REP took its turn: pollers re-check what it can do now.</summary>
    private protected void OnTurnChanged() => _pollState.Notify();

    /// <summary>True when any pipe would take a message now.</summary>
    private protected bool AnyPipeHasRoom()
    {
        foreach (var pipe in Pipes)
        {
            if (pipe.HasRoom)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a send would go ahead now; by default, when a peer has room (the load-balancing types).</summary>
    private protected virtual bool IsSendReadyCore() => AnyPipeHasRoom();

    /// <summary>True for types whose OnReceive may drop a queued message: pollers look at the head with <see cref="WouldAccept"/>.</summary>
    private protected virtual bool ScreensReceived => false;

    /// <summary>What OnReceive would answer for this message, without changing any state.</summary>
    private protected virtual bool WouldAccept(MessageBody message, Pipe? pipe) => true;

    /// <summary>True for types with a request/reply turn (REQ, REP).</summary>
    private protected virtual bool TakesTurns => false;

    /// <summary>The turn allows receiving (BeforeReceive would not throw).</summary>
    private protected virtual bool IsReceiveTurn => true;

    /// <summary>The turn allows sending.</summary>
    private protected virtual bool IsSendTurn => true;
}
