namespace Baton.Wire.Mechanisms;

/// <summary>
/// A ZMTP security mechanism (RFC 37 "Mechanisms"), one instance per connection: it runs the
/// handshake that follows the greetings and may transform every frame afterwards.
/// </summary>
/// <remarks>
/// The connection frames and unframes bytes with <see cref="FrameDecoder"/> and <see cref="FrameEncoder"/>;
/// the mechanism sits between those and the messages. A mechanism that leaves bytes as they are (NULL,
/// PLAIN) says so with <see cref="TransformsBytes"/> = false, which lets the sender's thread encode
/// messages into shared chunks that outlive a connection (the fast path). One that transforms them
/// (CURVE: per-connection keys and nonces) is given every frame through <see cref="Encode"/> at write
/// time, by the connection's write loop, and every received frame through <see cref="Decode"/>.
/// </remarks>
internal abstract class Mechanism
{
    /// <summary>The name in the greeting: ASCII, at most 20 bytes.</summary>
    public abstract string Name { get; }

    /// <summary>The greeting's as-server flag.</summary>
    public virtual bool AsServer => false;

    /// <summary>True when frames must go through <see cref="Encode"/> and <see cref="Decode"/>; false keeps the pre-encoded fast path.</summary>
    public virtual bool TransformsBytes => false;

    /// <summary>The frames to send once greetings are exchanged (NULL: READY with <paramref name="localMetadata"/>).</summary>
    public abstract IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata);

    /// <summary>
    /// Handles a command body received during the handshake, adding any frames to send to <paramref name="replies"/>.
    /// Returns the peer's metadata once the handshake is complete, null while it goes on; throws
    /// <see cref="PeerException"/> when the peer refuses or breaks the handshake.
    /// </summary>
    public abstract Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies);

    /// <summary>
    /// Set by <see cref="Start"/> or <see cref="OnHandshakeCommand"/> when the mechanism must hear the ZAP
    /// handler before it answers (a PLAIN HELLO, a CURVE INITIATE, a NULL greeting with a ZAP domain). The
    /// connection takes it (which clears it), asks the handler and calls <see cref="OnZapReply"/>.
    /// Until then a peer's further commands are a protocol error (a legitimate peer waits).
    /// </summary>
    public ZapRequest? TakeZapRequest()
    {
        var request = PendingZapRequest;
        PendingZapRequest = null;
        return request;
    }

    /// <summary>The request <see cref="TakeZapRequest"/> hands over; set by a server mechanism.</summary>
    protected ZapRequest? PendingZapRequest { get; set; }

    /// <summary>
    /// The ZAP handler's answer to <see cref="TakeZapRequest"/>'s request, or null when no handler is bound
    /// (inproc://zeromq.zap.01 in the socket's context). Adds frames to send to <paramref name="replies"/>
    /// (WELCOME, READY, or ERROR for a refusal); returns the peer's metadata once the handshake is complete;
    /// throws <see cref="PeerException"/> when the peer is refused.
    /// </summary>
    public virtual Metadata? OnZapReply(ZapReply? reply, List<byte[]> replies)
        => throw new InvalidOperationException($"the {Name} mechanism made no ZAP request");

    /// <summary>Called once when the connection has ended and will encode or decode no more: a mechanism wipes its keys.</summary>
    public virtual void End()
    {
    }

    /// <summary>The ERROR frame to send before dropping a peer (RFC 37 "Error Handling").</summary>
    public virtual byte[] EncodeError(string reason)
        => FrameEncoder.EncodeFrame(Zmtp.FlagCommand, Commands.ErrorBody(reason));

    /// <summary>Most bytes <see cref="Encode"/> writes for a body of <paramref name="bodyLength"/> bytes.</summary>
    public virtual int MaxEncodedLength(int bodyLength) => Zmtp.MaxHeaderSize + bodyLength;

    /// <summary>Writes one outgoing frame, header included, as this mechanism puts it on the wire; returns the bytes written.</summary>
    public virtual int Encode(byte flags, ReadOnlySpan<byte> body, Span<byte> destination)
        => FrameEncoder.WriteFrame(destination, flags, body);

    /// <summary>
    /// Turns a received frame back into the frame the peer sent, in place: the plain body is
    /// <paramref name="body"/>[<paramref name="start"/>..][..returned length] (never more than the body's);
    /// flags may change. It is left where it decodes, not moved to the start, so a caller that copies
    /// it out anyway (a small frame into its message) copies it once.
    /// </summary>
    public virtual int Decode(ref byte flags, Span<byte> body, out int start)
    {
        start = 0;
        return body.Length;
    }
}
