using System.Buffers.Binary;
using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>
/// The CURVE server (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE): HELLO, WELCOME with a cookie, INITIATE with
/// the cookie and the client's vouch, then READY (or ERROR when the ZAP handler refuses the client's key).
/// </summary>
/// <remarks>
/// Between WELCOME and INITIATE the connection keeps no keys: its transient secret s' and the client's C'
/// travel in the cookie (see <see cref="CurveServerKeys"/>). It keeps only the cookie's nonce, to take back
/// no other cookie: one cookie key serves all the socket's connections for a while, so an INITIATE recorded
/// on one connection would otherwise open on another, and a whole recorded session replay there.
/// A refusal before INITIATE checks out is a drop without ERROR, as libzmq does; ERROR goes only to a client
/// whose handshake was sound but whom the ZAP handler refused (not for a 300, a temporary failure). After the handshake a bad MESSAGE is a drop,
/// never answered.
/// </remarks>
internal sealed class CurveServerMechanism : CurveMechanism
{
    private readonly CurveServerKeys _keys;
    private byte[] _readyMetadata = [];
    private Metadata? _peerMetadata;

    // The nonce of the cookie this connection's WELCOME gave: the only cookie its INITIATE may bring back.
    private UInt128 _cookieNonce;

    // The client's long-term key, from INITIATE: what the ZAP handler judges.
    private byte[]? _clientKey;
    private State _state;

    private CurveServerMechanism(CurveServerKeys keys)
        : base(CurveCodec.ServerMessagePrefix, CurveCodec.ClientMessagePrefix)
    {
        _keys = keys;
    }

    private enum State
    {
        ExpectHello,
        ExpectInitiate,
        WaitingForZap,
        Ready,
    }

    public override bool AsServer => true;

    /// <summary>Makes the mechanisms of one server socket, which share its long-term key and its cookie keys.</summary>
    /// <exception cref="PlatformNotSupportedException">libsodium cannot be loaded: the socket fails when it is made, not at its first connection.</exception>
    public static Func<Mechanism> CreateFactory(byte[] secretKey) => CreateFactory(new CurveServerKeys(secretKey));

    /// <summary>Makes the mechanisms of one server socket with the given keys (tests give them a clock of their own).</summary>
    internal static Func<Mechanism> CreateFactory(CurveServerKeys keys)
    {
        Sodium.EnsureInitialized();
        return () => new CurveServerMechanism(keys);
    }

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
    {
        // The client speaks first; READY carries this metadata once INITIATE checks out.
        _readyMetadata = localMetadata.ToArray();
        return [];
    }

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        switch (_state)
        {
            case State.ExpectHello when CurveCodec.Is(body, CurveCodec.Hello):
                replies.Add(OnHello(body));
                _state = State.ExpectInitiate;
                return null;
            case State.ExpectInitiate when CurveCodec.Is(body, CurveCodec.Initiate):
                _peerMetadata = OnInitiate(body);
                PendingZapRequest = new ZapRequest(Name, [_clientKey!]);
                _state = State.WaitingForZap;
                return null;
            case State.WaitingForZap:
                throw new PeerException("a command before the ZAP handler answered");
            default:
                throw new PeerException($"unexpected command '{CurveCodec.NameOf(body)}' while the CURVE server expects {(_state == State.ExpectHello ? "HELLO" : "INITIATE")}");
        }
    }

    public override Metadata? OnZapReply(ZapReply? reply, List<byte[]> replies)
    {
        if (_state != State.WaitingForZap)
        {
            throw new InvalidOperationException("the CURVE server made no ZAP request");
        }

        // No handler bound: encryption without client authentication, as libzmq does (the Stonehouse pattern).
        if (reply is not null && !reply.Allowed)
        {
            WipeSharedKey();

            // 300 is a temporary failure: libzmq (and RFC 26) drop the client without an ERROR, so that it retries.
            if (reply.StatusCode != "300")
            {
                replies.Add(EncodeError(reply.StatusCode));
            }

            throw new PeerException($"refused by the ZAP handler: {reply.StatusCode} {reply.StatusText}");
        }

        replies.Add(ProduceReady());
        _state = State.Ready;
        return _peerMetadata;
    }

    private byte[] OnHello(ReadOnlySpan<byte> hello)
    {
        if (hello.Length != CurveCodec.HelloSize)
        {
            throw new PeerException($"a HELLO of {hello.Length} bytes, not {CurveCodec.HelloSize}");
        }

        if (hello[6] != 1 || hello[7] != 0)
        {
            throw new PeerException($"a HELLO of CurveZMQ version {hello[6]}.{hello[7]}, not 1.0");
        }

        var clientTransient = hello.Slice(80, Sodium.KeyBytes);
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        CurveCodec.ShortNonce(nonce, CurveCodec.HelloPrefix, BinaryPrimitives.ReadUInt64BigEndian(hello[112..]));
        Span<byte> zeros = stackalloc byte[64];
        if (!Sodium.Open(zeros, hello.Slice(120, 80), nonce, clientTransient, _keys.SecretKey))
        {
            throw new PeerException("a HELLO whose signature box does not open: the client does not know this server's public key");
        }

        // Our transient key pair for this connection; its secret goes into the cookie, then is wiped.
        Span<byte> transientPublic = stackalloc byte[Sodium.KeyBytes];
        Span<byte> cookiePlain = stackalloc byte[2 * Sodium.KeyBytes];
        Span<byte> welcomePlain = stackalloc byte[Sodium.KeyBytes + CurveCodec.CookieSize];
        try
        {
            Sodium.KeyPair(transientPublic, cookiePlain[Sodium.KeyBytes..]);
            clientTransient.CopyTo(cookiePlain);
            transientPublic.CopyTo(welcomePlain);
            _keys.SealCookie(cookiePlain, welcomePlain[Sodium.KeyBytes..]);
            _cookieNonce = BinaryPrimitives.ReadUInt128LittleEndian(welcomePlain.Slice(Sodium.KeyBytes, CurveCodec.LongNonceBytes));

            // WELCOME: name, 16 random nonce bytes, Box[S' + cookie](S->C').
            var frame = CurveCodec.NewCommandFrame(CurveCodec.WelcomeSize, out var header);
            var welcome = frame.AsSpan(header);
            CurveCodec.Welcome.CopyTo(welcome);
            Sodium.RandomBytes(welcome.Slice(8, CurveCodec.LongNonceBytes));
            CurveCodec.LongNonce(nonce, CurveCodec.WelcomePrefix, welcome.Slice(8, CurveCodec.LongNonceBytes));
            if (!Sodium.Box(welcome[24..], welcomePlain, nonce, clientTransient, _keys.SecretKey))
            {
                throw new PeerException("a HELLO with a client transient key that gives no shared secret");
            }

            return frame;
        }
        finally
        {
            Sodium.Wipe(cookiePlain);
        }
    }

    private Metadata OnInitiate(ReadOnlySpan<byte> initiate)
    {
        if (initiate.Length < CurveCodec.InitiateMinSize)
        {
            throw new PeerException($"an INITIATE of {initiate.Length} bytes, shorter than the {CurveCodec.InitiateMinSize} it takes");
        }

        // The cookie gives back C' and s', sealed in WELCOME by this socket within the cookie keys' life.
        Span<byte> cookiePlain = stackalloc byte[2 * Sodium.KeyBytes];
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        Span<byte> vouch = stackalloc byte[2 * Sodium.KeyBytes];
        var plain = new byte[initiate.Length - 113 - Sodium.MacBytes];
        try
        {
            if (BinaryPrimitives.ReadUInt128LittleEndian(initiate.Slice(9, CurveCodec.LongNonceBytes)) != _cookieNonce)
            {
                throw new PeerException("an INITIATE with a cookie this connection was not given (replayed from another connection)");
            }

            if (!_keys.OpenCookie(initiate.Slice(9, CurveCodec.CookieSize), cookiePlain))
            {
                throw new PeerException("an INITIATE whose cookie does not open (forged, or expired)");
            }

            var clientTransient = cookiePlain[..Sodium.KeyBytes];
            var transientSecret = cookiePlain[Sodium.KeyBytes..];
            var shortNonce = BinaryPrimitives.ReadUInt64BigEndian(initiate[105..]);
            CurveCodec.ShortNonce(nonce, CurveCodec.InitiatePrefix, shortNonce);
            if (!Sodium.BeforeNm(SharedKey, clientTransient, transientSecret)
                || !Sodium.Open(plain, initiate[113..], nonce, SharedKey))
            {
                throw new PeerException("an INITIATE whose box does not open");
            }

            // The vouch, Box[C' + S](C->S'): the holder of C's secret key vouches for this connection's C', to this server.
            var clientKey = plain.AsSpan(0, Sodium.KeyBytes);
            CurveCodec.LongNonce(nonce, CurveCodec.VouchPrefix, plain.AsSpan(Sodium.KeyBytes, CurveCodec.LongNonceBytes));
            if (!Sodium.Open(vouch, plain.AsSpan(48, 80), nonce, clientKey, transientSecret))
            {
                throw new PeerException("an INITIATE whose vouch does not open: the client does not hold the secret key of the key it presents");
            }

            if (!CurveCodec.SameKey(vouch[..Sodium.KeyBytes], clientTransient) || !CurveCodec.SameKey(vouch[Sodium.KeyBytes..], _keys.PublicKey))
            {
                throw new PeerException("an INITIATE whose vouch names another connection key or another server");
            }

            if (!Metadata.TryParse(plain.AsSpan(128), out var metadata, out var error))
            {
                throw new PeerException($"malformed INITIATE metadata: {error}");
            }

            SetPeerNonce(shortNonce);
            _clientKey = clientKey.ToArray();
            return metadata;
        }
        catch
        {
            WipeSharedKey();
            throw;
        }
        finally
        {
            Sodium.Wipe(cookiePlain);
        }
    }

    private byte[] ProduceReady()
    {
        // READY: name, short nonce, Box[metadata](S'->C'), sealed in place in the frame.
        var frame = CurveCodec.NewCommandFrame(CurveCodec.ReadyMinSize + _readyMetadata.Length, out var header);
        var ready = frame.AsSpan(header);
        CurveCodec.Ready.CopyTo(ready);
        var shortNonce = NextNonce();
        BinaryPrimitives.WriteUInt64BigEndian(ready[6..], shortNonce);
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        CurveCodec.ShortNonce(nonce, CurveCodec.ReadyPrefix, shortNonce);
        var box = ready[14..];
        var plain = box[Sodium.MacBytes..];
        _readyMetadata.CopyTo(plain);
        Sodium.Box(box, plain, nonce, SharedKey);
        return frame;
    }
}
