using System.Buffers.Binary;
using System.Security.Cryptography;
using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>
/// The CURVE client (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE): HELLO, then on WELCOME an INITIATE with the
/// server's cookie and a vouch for this connection's transient key, then READY (or ERROR: refused).
/// </summary>
/// <remarks>
/// The long-term secret key belongs to the socket's options (shared by its connections) and is only read.
/// The transient secret key c' is wiped as soon as the shared key with the server's S' is computed.
/// A CURVE client never sends ERROR (RFC 26 defines it from server to client only).
/// </remarks>
internal sealed class CurveClientMechanism : CurveMechanism
{
    private readonly byte[] _secretKey;
    private readonly byte[] _serverKey;
    private readonly byte[] _transientSecret = new byte[Sodium.KeyBytes];
    private readonly byte[] _transientPublic = new byte[Sodium.KeyBytes];
    private byte[] _metadata = [];
    private State _state;

    public CurveClientMechanism(byte[] secretKey, byte[] serverPublicKey)
        : base(CurveCodec.ClientMessagePrefix, CurveCodec.ServerMessagePrefix)
    {
        _secretKey = secretKey;
        _serverKey = serverPublicKey;
    }

    private enum State
    {
        Start,
        ExpectWelcome,
        ExpectReady,
        Ready,
    }

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
    {
        _metadata = localMetadata.ToArray();
        Sodium.KeyPair(_transientPublic, _transientSecret);

        // HELLO: name, version 1.0, 72 zero bytes (so HELLO is no shorter than WELCOME: no amplification),
        // C', short nonce, Box[64 zeros](C'->S), which proves we know S.
        var frame = CurveCodec.NewCommandFrame(CurveCodec.HelloSize, out var header);
        var hello = frame.AsSpan(header);
        CurveCodec.Hello.CopyTo(hello);
        hello[6] = 1;
        _transientPublic.CopyTo(hello[80..]);
        var shortNonce = NextNonce();
        BinaryPrimitives.WriteUInt64BigEndian(hello[112..], shortNonce);
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        CurveCodec.ShortNonce(nonce, CurveCodec.HelloPrefix, shortNonce);
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        if (!Sodium.Box(hello[120..], zeros, nonce, _serverKey, _transientSecret))
        {
            throw new PeerException("the server's public key gives no shared secret (not a valid Curve25519 key)");
        }

        _state = State.ExpectWelcome;
        return [frame];
    }

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        if (CurveCodec.Is(body, CurveCodec.Error) && _state is State.ExpectWelcome or State.ExpectReady)
        {
            // Before WELCOME nothing shows the server holds its secret key: anyone listening at the address could send
            // this ERROR, and a final refusal would let it stop the client for good. A real server never sends it
            // there (it drops a HELLO it cannot open); its ZAP refusal comes after INITIATE, which only it could answer.
            var authentic = _state == State.ExpectReady;
            throw new PeerException(
                $"the server refused the handshake: {Commands.ErrorReason(body[6..])}{(authentic ? "" : " (before WELCOME, so unproven: trying again)")}",
                fatal: authentic);
        }

        switch (_state)
        {
            case State.ExpectWelcome when CurveCodec.Is(body, CurveCodec.Welcome):
                replies.Add(OnWelcome(body));
                _state = State.ExpectReady;
                return null;
            case State.ExpectReady when CurveCodec.Is(body, CurveCodec.Ready):
                var metadata = OnReady(body);
                _state = State.Ready;
                return metadata;
            default:
                throw new PeerException($"unexpected command '{CurveCodec.NameOf(body)}' while the CURVE client expects {(_state == State.ExpectWelcome ? "WELCOME" : "READY")}");
        }
    }

    public override void End()
    {
        CryptographicOperations.ZeroMemory(_transientSecret);
        base.End();
    }

    /// <summary>Nothing: a CURVE client does not send ERROR; it just hangs up.</summary>
    public override byte[] EncodeError(string reason) => [];

    private byte[] OnWelcome(ReadOnlySpan<byte> welcome)
    {
        if (welcome.Length != CurveCodec.WelcomeSize)
        {
            throw new PeerException($"a WELCOME of {welcome.Length} bytes, not {CurveCodec.WelcomeSize}");
        }

        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        Span<byte> plain = stackalloc byte[Sodium.KeyBytes + CurveCodec.CookieSize];
        CurveCodec.LongNonce(nonce, CurveCodec.WelcomePrefix, welcome.Slice(8, CurveCodec.LongNonceBytes));
        if (!Sodium.Open(plain, welcome[24..], nonce, _serverKey, _transientSecret))
        {
            Sodium.Wipe(_transientSecret);
            throw new PeerException("a WELCOME whose box does not open: the server does not hold the secret key of the server key this socket was given");
        }

        var serverTransient = plain[..Sodium.KeyBytes];
        var cookie = plain[Sodium.KeyBytes..];
        var ok = Sodium.BeforeNm(SharedKey, serverTransient, _transientSecret);

        // c' is needed no more: INITIATE's box and every MESSAGE use the shared key.
        Sodium.Wipe(_transientSecret);
        if (!ok)
        {
            throw new PeerException("a WELCOME with a server transient key that gives no shared secret");
        }

        // INITIATE: name, cookie, short nonce, Box[C + vouch nonce + vouch + metadata](C'->S'), sealed in place.
        var plainSize = Sodium.KeyBytes + CurveCodec.LongNonceBytes + 80 + _metadata.Length;
        var frame = CurveCodec.NewCommandFrame(113 + Sodium.MacBytes + plainSize, out var header);
        var initiate = frame.AsSpan(header);
        CurveCodec.Initiate.CopyTo(initiate);
        cookie.CopyTo(initiate[9..]);
        var shortNonce = NextNonce();
        BinaryPrimitives.WriteUInt64BigEndian(initiate[105..], shortNonce);
        var box = initiate[113..];
        var initiatePlain = box[Sodium.MacBytes..];
        Sodium.PublicKeyOf(_secretKey, initiatePlain[..Sodium.KeyBytes]);

        // The vouch, Box[C' + S](C->S'): with C's secret key we vouch for C', to this server only.
        var vouchNonce = initiatePlain.Slice(Sodium.KeyBytes, CurveCodec.LongNonceBytes);
        Sodium.RandomBytes(vouchNonce);
        CurveCodec.LongNonce(nonce, CurveCodec.VouchPrefix, vouchNonce);
        Span<byte> vouchPlain = stackalloc byte[2 * Sodium.KeyBytes];
        _transientPublic.CopyTo(vouchPlain);
        _serverKey.CopyTo(vouchPlain[Sodium.KeyBytes..]);
        if (!Sodium.Box(initiatePlain.Slice(48, 80), vouchPlain, nonce, serverTransient, _secretKey))
        {
            throw new PeerException("a WELCOME with a server transient key that gives no shared secret");
        }

        _metadata.CopyTo(initiatePlain[128..]);
        CurveCodec.ShortNonce(nonce, CurveCodec.InitiatePrefix, shortNonce);
        Sodium.Box(box, initiatePlain, nonce, SharedKey);
        return frame;
    }

    private Metadata OnReady(ReadOnlySpan<byte> ready)
    {
        if (ready.Length < CurveCodec.ReadyMinSize)
        {
            throw new PeerException($"a READY of {ready.Length} bytes, shorter than the {CurveCodec.ReadyMinSize} it takes");
        }

        var shortNonce = BinaryPrimitives.ReadUInt64BigEndian(ready[6..]);
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        CurveCodec.ShortNonce(nonce, CurveCodec.ReadyPrefix, shortNonce);
        var plain = new byte[ready.Length - CurveCodec.ReadyMinSize];
        if (!Sodium.Open(plain, ready[14..], nonce, SharedKey))
        {
            throw new PeerException("a READY whose box does not open");
        }

        if (!Metadata.TryParse(plain, out var metadata, out var error))
        {
            throw new PeerException($"malformed READY metadata: {error}");
        }

        SetPeerNonce(shortNonce);
        return metadata;
    }
}
