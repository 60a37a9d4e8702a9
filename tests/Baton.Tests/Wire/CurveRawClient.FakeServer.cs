using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Baton.Internal;

namespace Baton.Tests.Wire;

/// <summary>
/// A hand-driven CURVE server for hostile tests of Baton's CURVE client: it listens on 127.0.0.1, takes one
/// connection at a time and answers with WELCOME, READY and MESSAGE commands built here byte by byte (the
/// same layout as <see cref="CurveRawClient"/>), any of which a test may tamper with. Its key pair may be one
/// the client does not expect (an impostor).
/// </summary>
internal sealed class CurveFakeServer : IDisposable
{
    private readonly Socket _listener;
    private readonly byte[] _precomputed = new byte[32];

    public CurveFakeServer((byte[] Public, byte[] Secret) keys)
    {
        (PublicKey, SecretKey) = keys;
        (_listener, Endpoint) = RawPeer.Listen();
    }

    public string Endpoint { get; }

    public byte[] PublicKey { get; }

    public byte[] SecretKey { get; }

    public RawPeer? Peer { get; private set; }

    /// <summary>C' from the HELLO; s' and S' of this connection.</summary>
    public byte[] ClientTransient { get; private set; } = new byte[32];

    public byte[] TransientPublic { get; } = new byte[32];

    public byte[] TransientSecret { get; } = new byte[32];

    /// <summary>The next short nonce the server sends (READY takes 1).</summary>
    public ulong NextNonce { get; set; } = 1;

    /// <summary>Accepts the next connection and exchanges greetings (CURVE, as server).</summary>
    public async Task AcceptAsync()
    {
        Peer?.Dispose();
        Peer = await RawPeer.AcceptAsync(_listener);
        NextNonce = 1;
        Sodium.KeyPair(TransientPublic, TransientSecret);
        await Peer.SendAsync(RawZmtp.Greeting(minor: 0, mechanism: "CURVE", asServer: true));
        await Peer.ReadExactlyAsync(RawZmtp.GreetingSize);
    }

    /// <summary>Reads the HELLO and takes C' from it; true when its signature box opens with this server's key (the client knows it).</summary>
    public async Task<bool> ReadHelloAsync()
    {
        var (_, body) = await Peer!.ReadFrameAsync();
        if (body.Length != CurveRawClient.HelloSize || Encoding.ASCII.GetString(body, 0, 6) != "\u0005HELLO")
        {
            throw new InvalidDataException($"not a HELLO: {Convert.ToHexString(body)}");
        }

        ClientTransient = body[80..112];
        var signature = new byte[64];
        return Sodium.Open(signature, body.AsSpan(120), CurveRawClient.ShortNonce("CurveZMQHELLO---", BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(112))), ClientTransient, SecretKey);
    }

    /// <summary>A WELCOME body: Box[S' + cookie](S->C') with this server's key (the cookie is random: this server checks nothing); <paramref name="flipBoxBit"/> corrupts it.</summary>
    public byte[] WelcomeBody(bool flipBoxBit = false)
    {
        var tail = new byte[16];
        Sodium.RandomBytes(tail);
        var cookie = new byte[96];
        Sodium.RandomBytes(cookie);
        byte[] plain = [.. TransientPublic, .. cookie];
        var box = new byte[plain.Length + Sodium.MacBytes];
        Sodium.Box(box, plain, CurveRawClient.LongNonce("WELCOME-", tail), ClientTransient, SecretKey);
        if (flipBoxBit)
        {
            box[7] ^= 0x80;
        }

        if (!Sodium.BeforeNm(_precomputed, ClientTransient, TransientSecret))
        {
            throw new InvalidOperationException("weak client transient key");
        }

        return [.. "\u0007WELCOME"u8, .. tail, .. box];
    }

    /// <summary>Reads the INITIATE and checks its box opens (the client's keys are not checked: this server lets anyone in).</summary>
    public async Task ReadInitiateAsync()
    {
        var (_, body) = await Peer!.ReadFrameAsync();
        if (Encoding.ASCII.GetString(body, 0, 9) != "\u0008INITIATE")
        {
            throw new InvalidDataException($"not an INITIATE: {Convert.ToHexString(body)}");
        }

        var plain = new byte[body.Length - 113 - Sodium.MacBytes];
        if (!Sodium.Open(plain, body.AsSpan(113), CurveRawClient.ShortNonce("CurveZMQINITIATE", BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(105))), _precomputed))
        {
            throw new InvalidDataException("the INITIATE box does not open");
        }
    }

    /// <summary>A READY body with Socket-Type <paramref name="socketType"/>; <paramref name="flipBoxBit"/> corrupts it.</summary>
    public byte[] ReadyBody(string socketType, bool flipBoxBit = false)
    {
        var n = NextNonce++;
        var plain = RawZmtp.Property("Socket-Type", Encoding.ASCII.GetBytes(socketType));
        var box = new byte[plain.Length + Sodium.MacBytes];
        Sodium.Box(box, plain, CurveRawClient.ShortNonce("CurveZMQREADY---", n), _precomputed);
        if (flipBoxBit)
        {
            box[^2] ^= 0x01;
        }

        var nonce = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, n);
        return [.. "\u0005READY"u8, .. nonce, .. box];
    }

    /// <summary>A MESSAGE frame from the server, with the next nonce or <paramref name="nonce"/>, tampered as asked.</summary>
    public byte[] MessageFrame(byte flags, ReadOnlySpan<byte> payload, ulong? nonce = null, bool flipBoxBit = false, string prefix = "CurveZMQMESSAGES")
    {
        var n = nonce ?? NextNonce++;
        return CurveRawClient.BoxedMessageFrame(flags, payload, n, prefix, _precomputed, flipBoxBit ? 0 : null);
    }

    /// <summary>Greeting, HELLO, WELCOME, INITIATE, READY as a <paramref name="socketType"/> server.</summary>
    public async Task HandshakeAsync(string socketType)
    {
        await AcceptAsync();
        if (!await ReadHelloAsync())
        {
            throw new InvalidDataException("the client's HELLO is not for this server's key");
        }

        await Peer!.SendAsync(CurveRawClient.CommandFrame(WelcomeBody()));
        await ReadInitiateAsync();
        await Peer.SendAsync(CurveRawClient.CommandFrame(ReadyBody(socketType)));
    }

    public void Dispose()
    {
        Peer?.Dispose();
        _listener.Dispose();
    }
}
