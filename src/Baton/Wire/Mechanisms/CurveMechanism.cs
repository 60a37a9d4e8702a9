using System.Buffers.Binary;
using System.Security.Cryptography;
using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>
/// What CURVE's client and server share once the handshake is done: every frame, message or command,
/// travels boxed in a MESSAGE (RFC 26 "MESSAGE", with libzmq's extension that commands travel boxed too).
/// </summary>
/// <remarks>
/// A MESSAGE is "\x07MESSAGE", an 8-byte short nonce, then Box[flags + body](C'->S' or S'->C'), the flags
/// byte carrying MORE (0x01) and COMMAND (0x02). The frame around it carries no MORE or COMMAND flag, as
/// libzmq 4.3 writes it (libzmq would take a command-flagged frame's message for a command); either is
/// accepted on receipt, only the flags in the box count. Short nonces count up from 1 on each side (HELLO
/// and INITIATE take the client's first two, READY the server's first); a received one must be above the
/// last, so a replayed or reordered MESSAGE drops the connection. The shared key is computed once
/// (crypto_box_beforenm) and boxes are sealed and opened in place: no allocation per frame.
/// </remarks>
internal abstract class CurveMechanism : Mechanism
{
    // The shared key of the transient keys (C' and S'), set when the handshake reaches it; wiped by End.
    private readonly byte[] _sharedKey = new byte[Sodium.KeyBytes];
    private readonly byte[] _sendNonce = new byte[Sodium.NonceBytes];
    private readonly byte[] _receiveNonce = new byte[Sodium.NonceBytes];
    private ulong _nextNonce = 1;
    private ulong _peerNonce;

    /// <param name="sendPrefix">The nonce prefix of this side's MESSAGEs.</param>
    /// <param name="receivePrefix">The nonce prefix of the peer's MESSAGEs.</param>
    protected CurveMechanism(ReadOnlySpan<byte> sendPrefix, ReadOnlySpan<byte> receivePrefix)
    {
        sendPrefix.CopyTo(_sendNonce);
        receivePrefix.CopyTo(_receiveNonce);
    }

    public sealed override string Name => "CURVE";

    public sealed override bool TransformsBytes => true;

    /// <summary>The shared key of the transient keys, for the handshake's own boxes (INITIATE, READY) and every MESSAGE.</summary>
    protected Span<byte> SharedKey => _sharedKey;

    /// <summary>This side's next short nonce (HELLO, INITIATE, READY and MESSAGEs share the counter).</summary>
    protected ulong NextNonce() => _nextNonce++;

    /// <summary>Records the peer's short nonce from a handshake command; MESSAGEs must go above it.</summary>
    protected void SetPeerNonce(ulong nonce) => _peerNonce = nonce;

    public sealed override int MaxEncodedLength(int bodyLength) => Zmtp.MaxHeaderSize + CurveCodec.MessageOverhead + bodyLength;

    public sealed override int Encode(byte flags, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var size = CurveCodec.MessageOverhead + body.Length;
        var header = FrameEncoder.WriteHeader(destination, 0, size);
        var message = destination.Slice(header, size);
        CurveCodec.Message.CopyTo(message);
        var nonce = _nextNonce++;
        BinaryPrimitives.WriteUInt64BigEndian(message[8..], nonce);
        BinaryPrimitives.WriteUInt64BigEndian(_sendNonce.AsSpan(16), nonce);

        // The plain text goes where the cipher text will be (after the MAC), so the box seals in place.
        var box = message[CurveCodec.MessageHeaderSize..];
        var plain = box[Sodium.MacBytes..];
        plain[0] = (byte)(((flags & Zmtp.FlagMore) != 0 ? CurveCodec.BoxMore : 0) | ((flags & Zmtp.FlagCommand) != 0 ? CurveCodec.BoxCommand : 0));
        body.CopyTo(plain[1..]);
        Sodium.Box(box, plain, _sendNonce, _sharedKey);
        return header + size;
    }

    public sealed override int Decode(ref byte flags, Span<byte> body, out int start)
    {
        if (!CurveCodec.Is(body, CurveCodec.Message))
        {
            throw new PeerException($"a '{CurveCodec.NameOf(body)}' command after the CURVE handshake, where only MESSAGE may come");
        }

        if (body.Length < CurveCodec.MessageOverhead)
        {
            throw new PeerException($"a MESSAGE of {body.Length} bytes, shorter than the {CurveCodec.MessageOverhead} any MESSAGE takes");
        }

        var nonce = BinaryPrimitives.ReadUInt64BigEndian(body[8..]);
        if (nonce <= _peerNonce)
        {
            throw new PeerException($"a MESSAGE nonce that does not increase ({nonce} after {_peerNonce}): replayed or reordered");
        }

        BinaryPrimitives.WriteUInt64BigEndian(_receiveNonce.AsSpan(16), nonce);
        var box = body[CurveCodec.MessageHeaderSize..];
        var plain = box[Sodium.MacBytes..];
        if (!Sodium.Open(plain, box, _receiveNonce, _sharedKey))
        {
            throw new PeerException("a MESSAGE whose box does not open (forged or corrupted)");
        }

        _peerNonce = nonce;
        var boxFlags = plain[0];
        flags = (byte)(((boxFlags & CurveCodec.BoxMore) != 0 ? Zmtp.FlagMore : 0) | ((boxFlags & CurveCodec.BoxCommand) != 0 ? Zmtp.FlagCommand : 0));
        start = CurveCodec.MessageHeaderSize + Sodium.MacBytes + 1;
        return plain.Length - 1;
    }

    public override void End() => WipeSharedKey();

    /// <summary>Wipes the shared key (the handshake failed, or the connection ended); needs no libsodium, which may have failed to load.</summary>
    protected void WipeSharedKey() => CryptographicOperations.ZeroMemory(_sharedKey);
}
