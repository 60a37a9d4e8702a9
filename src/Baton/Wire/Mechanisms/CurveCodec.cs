using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>
/// The byte layouts of CurveZMQ's commands (RFC 26, as ZMTP carries them per RFC 25) and their nonces,
/// laid out as libzmq 4.3 lays them out. Command bodies begin with the name's length and the name.
/// </summary>
internal static class CurveCodec
{
    /// <summary>The short nonce every command after HELLO carries: a big-endian counter.</summary>
    public const int ShortNonceBytes = 8;

    /// <summary>The random part of a long nonce (WELCOME, cookie, vouch).</summary>
    public const int LongNonceBytes = 16;

    /// <summary>HELLO: name, version 1.0, 72 bytes of anti-amplification padding, C', short nonce, Box[64 zeros](C'->S).</summary>
    public const int HelloSize = 200;

    /// <summary>WELCOME: name, long nonce, Box[S' + cookie](S->C').</summary>
    public const int WelcomeSize = 168;

    /// <summary>A cookie: long nonce and Box[C' + s'](cookie key).</summary>
    public const int CookieSize = 96;

    /// <summary>INITIATE without metadata: name, cookie, short nonce, Box[C + vouch nonce + vouch](C'->S').</summary>
    public const int InitiateMinSize = 9 + CookieSize + ShortNonceBytes + Sodium.MacBytes + 128;

    /// <summary>READY without metadata: name, short nonce, Box[metadata](S'->C').</summary>
    public const int ReadyMinSize = 6 + ShortNonceBytes + Sodium.MacBytes;

    /// <summary>MESSAGE header: name and short nonce; the box follows.</summary>
    public const int MessageHeaderSize = 8 + ShortNonceBytes;

    /// <summary>What a MESSAGE adds to a frame's body: its header, the box's MAC and the flags byte inside.</summary>
    public const int MessageOverhead = MessageHeaderSize + Sodium.MacBytes + 1;

    /// <summary>The flags byte inside a MESSAGE box (libzmq's: msg_t's MORE and COMMAND bits).</summary>
    public const byte BoxMore = 0x01;

    /// <inheritdoc cref="BoxMore"/>
    public const byte BoxCommand = 0x02;

    public static ReadOnlySpan<byte> Hello => "\u0005HELLO"u8;
    public static ReadOnlySpan<byte> Welcome => "\u0007WELCOME"u8;
    public static ReadOnlySpan<byte> Initiate => "\u0008INITIATE"u8;
    public static ReadOnlySpan<byte> Ready => "\u0005READY"u8;
    public static ReadOnlySpan<byte> Error => "\u0005ERROR"u8;
    public static ReadOnlySpan<byte> Message => "\u0007MESSAGE"u8;

    // Nonce prefixes (RFC 26): 16 bytes before a short nonce, 8 before a long one.
    public static ReadOnlySpan<byte> HelloPrefix => "CurveZMQHELLO---"u8;
    public static ReadOnlySpan<byte> InitiatePrefix => "CurveZMQINITIATE"u8;
    public static ReadOnlySpan<byte> ReadyPrefix => "CurveZMQREADY---"u8;
    public static ReadOnlySpan<byte> ClientMessagePrefix => "CurveZMQMESSAGEC"u8;
    public static ReadOnlySpan<byte> ServerMessagePrefix => "CurveZMQMESSAGES"u8;
    public static ReadOnlySpan<byte> WelcomePrefix => "WELCOME-"u8;
    public static ReadOnlySpan<byte> CookiePrefix => "COOKIE--"u8;
    public static ReadOnlySpan<byte> VouchPrefix => "VOUCH---"u8;

    /// <summary>True when <paramref name="body"/> is the command named by <paramref name="name"/> (length byte included).</summary>
    public static bool Is(ReadOnlySpan<byte> body, ReadOnlySpan<byte> name) => body.StartsWith(name);

    /// <summary>A command frame of <paramref name="bodySize"/> bytes (header included) whose body the caller fills in.</summary>
    public static byte[] NewCommandFrame(int bodySize, out int headerSize)
    {
        headerSize = FrameEncoder.HeaderSize(bodySize);
        var frame = new byte[headerSize + bodySize];
        FrameEncoder.WriteHeader(frame, Zmtp.FlagCommand, bodySize);
        return frame;
    }

    /// <summary>A full nonce: a 16-byte prefix and a short nonce (big-endian counter).</summary>
    public static void ShortNonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, ulong counter)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[16..], counter);
    }

    /// <summary>A full nonce: an 8-byte prefix and the 16 random bytes the command carries (the caller draws them when it is the sender).</summary>
    public static void LongNonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> random)
    {
        prefix.CopyTo(nonce);
        random.CopyTo(nonce[8..]);
    }

    /// <summary>The command's name for a refusal's message (printable ASCII only, at most 20 characters).</summary>
    public static string NameOf(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body.Length < 1 + body[0])
        {
            return "(malformed)";
        }

        var name = body.Slice(1, Math.Min((int)body[0], 20));
        foreach (var b in name)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return "(not printable)";
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    /// <summary>Compares keys in constant time.</summary>
    public static bool SameKey(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);
}
