using System.Buffers.Binary;
using System.Text;
using Baton.Internal;

namespace Baton.Tests.Wire;

/// <summary>
/// A hand-driven CURVE client (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE, in libzmq's layout) over a plain tcp
/// socket, for hostile tests: every command is built here byte by byte, independently of Baton's mechanism,
/// and every step can be tampered with (a field changed, a box corrupted, a nonce chosen, a command cut short,
/// replayed or sent out of order). Crypto is libsodium's, through <see cref="Sodium"/>.
/// </summary>
/// <remarks>
/// Layout (libzmq 4.3): HELLO is 200 bytes: "\x05HELLO", version 1.0, 72 zero bytes, C', short nonce,
/// Box[64 zeros](C'->S). WELCOME: "\x07WELCOME", 16-byte nonce, Box[S' + cookie](S->C'). INITIATE:
/// "\x08INITIATE", cookie (96), short nonce, Box[C + vouch + metadata](C'->S') where vouch is a 16-byte nonce
/// and Box[C' + S](C->S'). READY: "\x05READY", short nonce, Box[metadata](S'->C'). MESSAGE: "\x07MESSAGE",
/// short nonce, Box[flags + payload], flags 0x01 MORE and 0x02 COMMAND, sent in a ZMTP data frame as libzmq does.
/// </remarks>
internal sealed class CurveRawClient : IDisposable
{
    public const int HelloSize = 200;
    public const byte More = 0x01;
    public const byte CommandFlag = 0x02;

    private readonly byte[] _precomputed = new byte[32];
    private bool _havePrecomputed;

    private CurveRawClient(RawPeer peer, byte[] serverPublic, byte[] clientPublic, byte[] clientSecret)
    {
        Peer = peer;
        ServerPublic = serverPublic;
        ClientPublic = clientPublic;
        ClientSecret = clientSecret;
        Sodium.KeyPair(TransientPublic, TransientSecret);
    }

    public RawPeer Peer { get; }

    /// <summary>S: the server's long-term public key the client believes in.</summary>
    public byte[] ServerPublic { get; }

    /// <summary>C and c: the client's long-term key pair.</summary>
    public byte[] ClientPublic { get; }

    public byte[] ClientSecret { get; }

    /// <summary>C' and c': this connection's transient key pair (may be replaced before HELLO, e.g. to reuse another connection's).</summary>
    public byte[] TransientPublic { get; private set; } = new byte[32];

    public byte[] TransientSecret { get; private set; } = new byte[32];

    /// <summary>S' and the cookie, from the WELCOME once read.</summary>
    public byte[]? ServerTransient { get; private set; }

    public byte[]? Cookie { get; private set; }

    /// <summary>The next short nonce this client sends (libzmq starts at 1: HELLO 1, INITIATE 2, messages after).</summary>
    public ulong NextNonce { get; set; } = 1;

    /// <summary>The last short nonce received from the server (READY, MESSAGE).</summary>
    public ulong LastPeerNonce { get; private set; }

    /// <summary>The frames the client sent, in order (header included), for replays on another connection.</summary>
    public List<byte[]> Sent { get; } = [];

    /// <summary>Connects to <paramref name="endpoint"/> with a fresh long-term key pair, or the given one.</summary>
    public static async Task<CurveRawClient> ConnectAsync(string endpoint, byte[] serverPublic, (byte[] Public, byte[] Secret)? clientKeys = null)
    {
        var keys = clientKeys ?? NewKeyPair();
        var peer = await RawPeer.ConnectAsync(endpoint);
        return new CurveRawClient(peer, serverPublic, keys.Public, keys.Secret);
    }

    /// <summary>A fresh key pair: (public, secret). The one helper every CURVE test makes its keys with.</summary>
    public static (byte[] Public, byte[] Secret) NewKeyPair()
    {
        var (pk, sk) = (new byte[32], new byte[32]);
        Sodium.KeyPair(pk, sk);
        return (pk, sk);
    }

    /// <summary>Uses another transient key pair (before HELLO), e.g. the one of an earlier connection whose INITIATE is replayed.</summary>
    public void UseTransient(byte[] publicKey, byte[] secretKey)
    {
        TransientPublic = publicKey;
        TransientSecret = secretKey;
    }

    // ---- Building the commands ----

    /// <summary>A 24-byte nonce: a 16-byte ASCII prefix and the 8-byte short nonce, big-endian.</summary>
    public static byte[] ShortNonce(string prefix, ulong nonce)
    {
        var bytes = new byte[24];
        Encoding.ASCII.GetBytes(prefix).CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(16), nonce);
        return bytes;
    }

    /// <summary>A 24-byte nonce: an 8-byte ASCII prefix and 16 given bytes.</summary>
    public static byte[] LongNonce(string prefix, ReadOnlySpan<byte> tail)
    {
        var bytes = new byte[24];
        Encoding.ASCII.GetBytes(prefix).CopyTo(bytes, 0);
        tail.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    private static byte[] BoxWith(ReadOnlySpan<byte> plain, byte[] nonce, byte[] publicKey, byte[] secretKey)
    {
        var box = new byte[plain.Length + Sodium.MacBytes];
        if (!Sodium.Box(box, plain, nonce, publicKey, secretKey))
        {
            throw new InvalidOperationException("weak public key");
        }

        return box;
    }

    /// <summary>The ZMTP command frame (flags 0x04) around a command body that already starts with its name.</summary>
    public static byte[] CommandFrame(byte[] body) => RawZmtp.Frame(0x04, body);

    /// <summary>
    /// The HELLO body: by default libzmq's 200 bytes with a valid signature box and the next nonce. Tamper
    /// with <paramref name="major"/>/<paramref name="minor"/>, <paramref name="padding"/> (length), the
    /// <paramref name="nonce"/>, or the signature (<paramref name="signatureKey"/>: box it for another server key;
    /// <paramref name="flipSignatureBit"/>: corrupt it).
    /// </summary>
    public byte[] HelloBody(byte major = 1, byte minor = 0, int padding = 72, ulong? nonce = null, byte[]? signatureKey = null, bool flipSignatureBit = false)
    {
        var n = nonce ?? NextNonce++;
        var signature = BoxWith(new byte[64], ShortNonce("CurveZMQHELLO---", n), signatureKey ?? ServerPublic, TransientSecret);
        if (flipSignatureBit)
        {
            signature[40] ^= 0x10;
        }

        var nonceBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(nonceBytes, n);
        return [.. "\u0005HELLO"u8, major, minor, .. new byte[padding], .. TransientPublic, .. nonceBytes, .. signature];
    }

    /// <summary>
    /// The INITIATE body with the cookie of the WELCOME (or <paramref name="cookie"/>), the client's long-term key, a
    /// vouch and metadata (Socket-Type, plus <paramref name="extraMetadata"/>). Tamper with the vouch
    /// (<paramref name="vouchTransient"/>: vouch for another C'; <paramref name="vouchServer"/>: for another S), the nonce,
    /// or corrupt the outer box (<paramref name="flipBoxBit"/>).
    /// </summary>
    public byte[] InitiateBody(string socketType, byte[]? cookie = null, ulong? nonce = null, byte[]? vouchTransient = null, byte[]? vouchServer = null, bool flipBoxBit = false, byte[]? extraMetadata = null)
    {
        var sPrime = ServerTransient ?? throw new InvalidOperationException("no WELCOME read yet");
        var n = nonce ?? NextNonce++;
        var vouchNonceTail = new byte[16];
        Sodium.RandomBytes(vouchNonceTail);
        var vouch = BoxWith([.. vouchTransient ?? TransientPublic, .. vouchServer ?? ServerPublic], LongNonce("VOUCH---", vouchNonceTail), sPrime, ClientSecret);
        byte[] metadata = [.. RawZmtp.Property("Socket-Type", Encoding.ASCII.GetBytes(socketType)), .. extraMetadata ?? []];
        var box = BoxWith([.. ClientPublic, .. vouchNonceTail, .. vouch, .. metadata], ShortNonce("CurveZMQINITIATE", n), sPrime, TransientSecret);
        if (flipBoxBit)
        {
            box[box.Length / 2] ^= 0x01;
        }

        var nonceBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(nonceBytes, n);
        return [.. "\u0008INITIATE"u8, .. cookie ?? Cookie ?? throw new InvalidOperationException("no cookie"), .. nonceBytes, .. box];
    }

    /// <summary>
    /// A MESSAGE frame (a ZMTP data frame, as libzmq sends it) boxing <paramref name="flags"/> and <paramref name="payload"/>
    /// under the next nonce, or <paramref name="nonce"/>; <paramref name="flipBoxBit"/> corrupts the box after boxing;
    /// <paramref name="prefix"/> boxes it under another nonce prefix (the server's, for a reflected message).
    /// </summary>
    public byte[] MessageFrame(byte flags, ReadOnlySpan<byte> payload, ulong? nonce = null, bool flipBoxBit = false, string prefix = "CurveZMQMESSAGEC")
    {
        var n = nonce ?? NextNonce++;
        return BoxedMessageFrame(flags, payload, n, prefix, Precomputed(), flipBoxBit ? ^1 : null);
    }

    /// <summary>
    /// A MESSAGE frame boxing <paramref name="flags"/> and <paramref name="payload"/> under short nonce
    /// <paramref name="nonce"/> of <paramref name="prefix"/> with <paramref name="sharedKey"/>, as either side
    /// sends it; <paramref name="flip"/>, a byte of the box, corrupts it after boxing.
    /// </summary>
    public static byte[] BoxedMessageFrame(byte flags, ReadOnlySpan<byte> payload, ulong nonce, string prefix, byte[] sharedKey, Index? flip)
    {
        var plain = new byte[1 + payload.Length];
        plain[0] = flags;
        payload.CopyTo(plain.AsSpan(1));
        var box = new byte[plain.Length + Sodium.MacBytes];
        Sodium.Box(box, plain, ShortNonce(prefix, nonce), sharedKey);
        if (flip is { } at)
        {
            box[at] ^= 0x01;
        }

        var nonceBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(nonceBytes, nonce);
        return RawZmtp.Frame(0x00, [.. "\u0007MESSAGE"u8, .. nonceBytes, .. box]);
    }

    /// <summary>The MESSAGE frames of one ZMTP message: each frame boxed alone, MORE on all but the last.</summary>
    public byte[] MessageFrames(params string[] frames)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < frames.Length; i++)
        {
            bytes.AddRange(MessageFrame(i < frames.Length - 1 ? More : (byte)0, Encoding.UTF8.GetBytes(frames[i])));
        }

        return [.. bytes];
    }

    /// <summary>A ZMTP command (e.g. PING, SUBSCRIBE) sent encrypted inside a MESSAGE box, as libzmq does.</summary>
    public byte[] CommandInMessage(string name, params byte[][] data)
    {
        var body = new List<byte> { (byte)name.Length };
        body.AddRange(Encoding.ASCII.GetBytes(name));
        foreach (var part in data)
        {
            body.AddRange(part);
        }

        return MessageFrame(CommandFlag, [.. body]);
    }

    private byte[] Precomputed()
    {
        if (!_havePrecomputed)
        {
            if (!Sodium.BeforeNm(_precomputed, ServerTransient ?? throw new InvalidOperationException("no WELCOME read yet"), TransientSecret))
            {
                throw new InvalidOperationException("weak server transient key");
            }

            _havePrecomputed = true;
        }

        return _precomputed;
    }

    // ---- Driving the connection ----

    /// <summary>Sends raw bytes and remembers them.</summary>
    public async Task SendAsync(params byte[][] parts)
    {
        Sent.AddRange(parts);
        await Peer.SendAsync(parts);
    }

    /// <summary>Sends a 3.0 greeting for CURVE as a client and reads the server's (checking it says CURVE; libzmq leaves as-server at 0).</summary>
    public async Task GreetAsync(byte minor = 0)
    {
        await SendAsync(RawZmtp.Greeting(minor: minor, mechanism: "CURVE"));
        var greeting = await Peer.ReadExactlyAsync(RawZmtp.GreetingSize);
        var mechanism = Encoding.ASCII.GetString(greeting, 12, 20).TrimEnd('\0');
        if (greeting[0] != 0xFF || greeting[10] != 3 || mechanism != "CURVE")
        {
            throw new InvalidDataException($"not a CURVE server's greeting: {Convert.ToHexString(greeting)}");
        }
    }

    /// <summary>Reads one command frame: its body (name included). Throws <see cref="InvalidDataException"/> on an ERROR, naming the reason.</summary>
    public async Task<byte[]> ReadCommandAsync(string expected, TimeSpan? timeout = null)
    {
        var (flags, body) = await Peer.ReadFrameAsync(timeout);
        var name = body.Length > 0 && body.Length > body[0] ? Encoding.ASCII.GetString(body, 1, body[0]) : "";
        if (name == "ERROR")
        {
            throw new InvalidDataException($"the server sent ERROR: {Encoding.ASCII.GetString(body, 7, body.Length > 6 ? Math.Min(body[6], body.Length - 7) : 0)}");
        }

        if ((flags & 0x04) == 0 || name != expected)
        {
            throw new InvalidDataException($"expected {expected}, got flags 0x{flags:X2} body {Convert.ToHexString(body)}");
        }

        return body;
    }

    /// <summary>Reads and opens the WELCOME: sets <see cref="ServerTransient"/> and <see cref="Cookie"/>.</summary>
    public async Task ReadWelcomeAsync()
    {
        var body = await ReadCommandAsync("WELCOME");
        if (body.Length != 168)
        {
            throw new InvalidDataException($"WELCOME of {body.Length} bytes, not 168");
        }

        var plain = new byte[128];
        if (!Sodium.Open(plain, body.AsSpan(24), LongNonce("WELCOME-", body.AsSpan(8, 16)), ServerPublic, TransientSecret))
        {
            throw new InvalidDataException("the WELCOME box does not open with the server key we know");
        }

        ServerTransient = plain[..32];
        Cookie = plain[32..];
        _havePrecomputed = false;
    }

    /// <summary>Reads and opens the READY; returns its metadata bytes.</summary>
    public async Task<byte[]> ReadReadyAsync()
    {
        var body = await ReadCommandAsync("READY");
        var nonce = BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(6, 8));
        var plain = new byte[body.Length - 14 - Sodium.MacBytes];
        if (!Sodium.Open(plain, body.AsSpan(14), ShortNonce("CurveZMQREADY---", nonce), Precomputed()))
        {
            throw new InvalidDataException("the READY box does not open");
        }

        LastPeerNonce = nonce;
        return plain;
    }

    /// <summary>Greeting, HELLO, WELCOME: the handshake as far as the server keeps no state, where most attacks start.</summary>
    public async Task GreetToWelcomeAsync()
    {
        await GreetAsync();
        await SendAsync(CommandFrame(HelloBody()));
        await ReadWelcomeAsync();
    }

    /// <summary>Greeting, HELLO, WELCOME, INITIATE, READY: a clean handshake as a <paramref name="socketType"/> peer.</summary>
    public async Task<byte[]> HandshakeAsync(string socketType)
    {
        await GreetToWelcomeAsync();
        await SendAsync(CommandFrame(InitiateBody(socketType)));
        return await ReadReadyAsync();
    }

    /// <summary>
    /// Reads one MESSAGE from the server and opens it: its flags (MORE, COMMAND) and payload. Checks the server's
    /// nonces increase (a failure here is a bug in the server).
    /// </summary>
    public async Task<(byte Flags, byte[] Payload)> ReadMessageAsync(TimeSpan? timeout = null)
    {
        var (_, body) = await Peer.ReadFrameAsync(timeout);
        if (body.Length < 8 + 8 + Sodium.MacBytes + 1 || Encoding.ASCII.GetString(body, 0, 8) != "\u0007MESSAGE")
        {
            throw new InvalidDataException($"not a MESSAGE: {Convert.ToHexString(body)}");
        }

        var nonce = BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(8, 8));
        if (nonce <= LastPeerNonce)
        {
            throw new InvalidDataException($"the server's nonce went from {LastPeerNonce} to {nonce}");
        }

        var plain = new byte[body.Length - 16 - Sodium.MacBytes];
        if (!Sodium.Open(plain, body.AsSpan(16), ShortNonce("CurveZMQMESSAGES", nonce), Precomputed()))
        {
            throw new InvalidDataException("a MESSAGE box from the server does not open");
        }

        LastPeerNonce = nonce;
        return (plain[0], plain[1..]);
    }

    /// <summary>Reads one whole data message (skipping commands such as PING) as strings.</summary>
    public async Task<List<string>> ReadDataMessageAsync(TimeSpan? timeout = null)
    {
        var frames = new List<string>();
        while (true)
        {
            var (flags, payload) = await ReadMessageAsync(timeout);
            if ((flags & CommandFlag) != 0)
            {
                continue;
            }

            frames.Add(Encoding.UTF8.GetString(payload));
            if ((flags & More) == 0)
            {
                return frames;
            }
        }
    }

    public void Dispose() => Peer.Dispose();
}
