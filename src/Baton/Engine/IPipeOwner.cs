using Baton.Internal;
using Baton.Messages;
using Baton.Wire.Mechanisms;

namespace Baton.Engine;

/// <summary>
/// What pipes and connections need from the socket that owns them: where arriving messages go, and
/// what a peer's coming and going means to it. Engine defines it so that it never names a socket's
/// class; the socket implements it (libzmq's <c>i_pipe_events</c> plays the same part).
/// </summary>
internal interface IPipeOwner
{
    /// <summary>The owner's options as pipes and connections need them; a new object whenever they change.</summary>
    EngineSettings Settings { get; }

    /// <summary>The instruments the owner's connections count with.</summary>
    SocketMetrics Metrics { get; }

    /// <summary>A message arrived from <paramref name="pipe"/> (a subscription command, or an inproc sender).</summary>
    void Deliver(Pipe pipe, MessageBody message);

    /// <summary>The messages one read of the wire brought from <paramref name="pipe"/>, handed over together.</summary>
    void DeliverBatch(Pipe pipe, Span<MessageBody> batch);

    /// <summary>A peer finished its handshake on <paramref name="pipe"/>; false refuses it with a reason.</summary>
    bool OnPipeConnected(Pipe pipe, out string? refusal);

    /// <summary>The connection under <paramref name="pipe"/> ended; the pipe may live on for a reconnect.</summary>
    void OnPipeDisconnected(Pipe pipe);

    /// <summary><paramref name="pipe"/> ended for good and leaves the owner.</summary>
    void OnPipeTerminated(Pipe pipe);

    /// <summary>Room to send appeared (a queue fell to its low-water mark, a pipe joined or left): wake waiting senders.</summary>
    void OnWritable();

    /// <summary>
    /// Asks the ZAP handler bound at inproc://zeromq.zap.01 in the owner's context about a peer at
    /// <paramref name="address"/> (RFC 27), with the owner's ZAP domain and identity; null when no handler is bound.
    /// </summary>
    ValueTask<ZapReply?> AuthenticateAsync(ZapRequest request, string address, CancellationToken cancellationToken);

    /// <summary>A peer at <paramref name="endpoint"/> (its own address <paramref name="peerAddress"/>) completed its handshake (a monitor event).</summary>
    void OnHandshakeSucceeded(string endpoint, string? peerAddress);

    /// <summary>A peer's connection ended: <paramref name="dropped"/> for a fault, else an orderly close (a monitor event).</summary>
    void OnPeerGone(string endpoint, string? peerAddress, string reason, bool dropped);
}
