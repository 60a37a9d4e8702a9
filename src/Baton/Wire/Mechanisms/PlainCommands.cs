namespace Baton.Wire.Mechanisms;

/// <summary>The commands RFC 24 (ZMTP-PLAIN) adds to RFC 37's: HELLO, WELCOME and INITIATE.</summary>
internal static class PlainCommands
{
    public static ReadOnlySpan<byte> Hello => "HELLO"u8;
    public static ReadOnlySpan<byte> Welcome => "WELCOME"u8;
    public static ReadOnlySpan<byte> Initiate => "INITIATE"u8;

    /// <summary>HELLO's data: user name and password, each after a one-byte length (RFC 24 "hello").</summary>
    public static byte[] HelloData(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        var data = new byte[2 + userName.Length + password.Length];
        data[0] = (byte)userName.Length;
        userName.CopyTo(data.AsSpan(1));
        data[1 + userName.Length] = (byte)password.Length;
        password.CopyTo(data.AsSpan(2 + userName.Length));
        return data;
    }

    /// <summary>Splits HELLO's data into user name and password; false when the lengths do not add up exactly (as libzmq's plain_server checks).</summary>
    public static bool TryParseHello(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> userName, out ReadOnlySpan<byte> password)
    {
        userName = default;
        password = default;
        if (data.IsEmpty || data.Length < 1 + data[0] + 1)
        {
            return false;
        }

        userName = data.Slice(1, data[0]);
        var rest = data[(1 + data[0])..];
        if (rest.Length != 1 + rest[0])
        {
            return false;
        }

        password = rest[1..];
        return true;
    }

    /// <summary>
    /// True for the ERROR a libzmq PLAIN server sends: its prefix is written "\x05ERROR" in C, where the hex escape
    /// swallows the E, so the body starts 0x5E "RROR" (a 94-byte name that is not there) and the reason follows
    /// (libzmq src/plain_common.hpp, 4.x to date). libzmq's own client compares the same bytes; RFC-correct parsing
    /// calls it malformed. <paramref name="data"/> is what follows: the reason's length and text.
    /// </summary>
    public static bool IsLibzmqError(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> data)
    {
        data = default;
        // 0x5E is the caret.
        if (!body.StartsWith("^RROR"u8))
        {
            return false;
        }

        data = body[5..];
        return true;
    }

    /// <summary><see cref="Commands.Parse"/>, which knows READY and ERROR; the PLAIN names are compared by the caller.</summary>
    public static CommandName Parse(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
        => Commands.Parse(body, out name, out data);

    public static bool IsHello(ReadOnlySpan<byte> name) => name.SequenceEqual(Hello);

    public static bool IsWelcome(ReadOnlySpan<byte> name) => name.SequenceEqual(Welcome);

    public static bool IsInitiate(ReadOnlySpan<byte> name) => name.SequenceEqual(Initiate);
}
