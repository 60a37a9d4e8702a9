namespace Baton.Patterns;

/// <summary>
/// The Binary Star finite-state machine (ZeroMQ guide, chapter 4, "Binary Star"), apart from sockets and
/// clocks so that each rule can be tested alone. Events are the peer's published state and a client
/// request; times are milliseconds on any monotonic clock.
/// </summary>
internal sealed class BinaryStarMachine
{
    private readonly long _heartbeatMs;

    /// <summary>Starts in the role's waiting state, with the peer given two heartbeats from <paramref name="now"/> to speak.</summary>
    public BinaryStarMachine(BinaryStarRole role, long heartbeatMs, long now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heartbeatMs);
        _heartbeatMs = heartbeatMs;
        State = role == BinaryStarRole.Primary ? BinaryStarState.Primary : BinaryStarState.Backup;
        PeerExpiry = now + (2 * heartbeatMs);
    }

    /// <summary>The current state.</summary>
    public BinaryStarState State { get; private set; }

    /// <summary>When the peer counts as dead unless it speaks again: two heartbeats after it last did.</summary>
    public long PeerExpiry { get; private set; }

    /// <summary>
    /// Applies the peer's published state. Returns null, or the reason the pair cannot go on (both
    /// active: split brain; both passive: nobody serves), in which case this server must stop.
    /// </summary>
    public string? OnPeerState(BinaryStarState peer, long now)
    {
        PeerExpiry = now + (2 * _heartbeatMs);
        switch (State)
        {
            case BinaryStarState.Primary:
                // Whoever is already active keeps serving: a primary that comes back after a failover goes passive.
                if (peer == BinaryStarState.Backup)
                {
                    State = BinaryStarState.Active;
                }
                else if (peer == BinaryStarState.Active)
                {
                    State = BinaryStarState.Passive;
                }

                break;
            case BinaryStarState.Backup:
                if (peer == BinaryStarState.Active)
                {
                    State = BinaryStarState.Passive;
                }

                break;
            case BinaryStarState.Active:
                if (peer == BinaryStarState.Active)
                {
                    return "both servers are active (split brain)";
                }

                break;
            case BinaryStarState.Passive:
                if (peer is BinaryStarState.Primary or BinaryStarState.Backup)
                {
                    // The peer restarted, so nobody serves: we take over and it will go passive.
                    State = BinaryStarState.Active;
                }
                else if (peer == BinaryStarState.Passive)
                {
                    return "both servers are passive, so nobody serves";
                }

                break;
        }

        return null;
    }

    /// <summary>
    /// Applies a client request: true when this server may serve it (it is active, or becomes active
    /// now), false when the request must be dropped unanswered so that the client tries the other server.
    /// </summary>
    /// <remarks>
    /// The split-brain guard: a passive server (or a primary still waiting for its peer) takes over only
    /// when a client asks AND the peer has been silent for two heartbeats. A peer that is alive keeps
    /// its role however many clients knock; a dead peer with no client asking changes nothing either.
    /// </remarks>
    public bool OnClientRequest(long now)
    {
        switch (State)
        {
            case BinaryStarState.Active:
                return true;
            case BinaryStarState.Primary or BinaryStarState.Passive when now >= PeerExpiry:
                State = BinaryStarState.Active;
                return true;
            default:
                // A backup waiting for its primary never serves; the others wait for the peer to fall silent.
                return false;
        }
    }
}
