namespace Baton.Sockets;

/// <summary>A socket a <see cref="Poller"/> found ready, and for what.</summary>
/// <param name="Socket">The socket.</param>
/// <param name="Events">What it is ready for (<see cref="PollEvents.Closed"/> when it closed while polled).</param>
public readonly record struct PollItem(ZmqSocket Socket, PollEvents Events);
