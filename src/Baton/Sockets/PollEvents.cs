namespace Baton.Sockets;

/// <summary>What a <see cref="Poller"/> waits for on a socket, and what it reports as ready.</summary>
[Flags]
public enum PollEvents
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>A receive would return a message without waiting (libzmq's POLLIN).</summary>
    Receive = 1,

    /// <summary>A send would not wait: a peer has room, or the type drops rather than waits, as PUB does (libzmq's POLLOUT).</summary>
    Send = 2,

    /// <summary>
    /// Reported only: the socket started closing while it was in the poller. The poller reports it once,
    /// whatever events it was added for, and drops it.
    /// </summary>
    Closed = 4,
}
