namespace Baton.Patterns;

/// <summary>
/// What one side of a <see cref="Proxy"/> carried, as libzmq's <c>zmq_proxy_steerable</c> counts it: a
/// multipart message counts once, its bytes are the sum of its frames' lengths.
/// </summary>
/// <param name="MessagesIn">Messages received by the socket.</param>
/// <param name="BytesIn">Bytes of the messages received by the socket.</param>
/// <param name="MessagesOut">Messages sent out of the socket.</param>
/// <param name="BytesOut">Bytes of the messages sent out of the socket.</param>
public readonly record struct ProxySocketStatistics(ulong MessagesIn, ulong BytesIn, ulong MessagesOut, ulong BytesOut);
