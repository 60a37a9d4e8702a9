using Baton.Internal;

namespace Baton.Security;

/// <summary>
/// Z85 (ZeroMQ RFC 32), the text form ZeroMQ gives CURVE keys: every 4 bytes as 5 printable characters,
/// so a 32-byte key is 40 characters. The same encoding as libzmq's zmq_z85_encode and pyzmq's zmq.utils.z85.
/// </summary>
public static class Z85
{
    /// <summary>The Z85 text of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The length of <paramref name="data"/> is not a multiple of 4.</exception>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length % 4 != 0)
        {
            throw new ArgumentException($"Z85 encodes whole groups of 4 bytes; {data.Length} bytes is not a multiple of 4.", nameof(data));
        }

        return Z85Codec.Encode(data);
    }

    /// <summary>The bytes that the Z85 <paramref name="text"/> stands for.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">
    /// The length is not a multiple of 5, a character is outside the Z85 alphabet, or a group of 5 characters
    /// stands for a value above 2^32 - 1; the message says which and where.
    /// </exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Decode(text.AsSpan());
    }

    /// <inheritdoc cref="Decode(string)"/>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (text.Length % 5 != 0)
        {
            throw new FormatException($"Z85 text comes in groups of 5 characters; {text.Length} characters is not a multiple of 5.");
        }

        var bytes = new byte[text.Length / 5 * 4];
        if (!Z85Codec.TryDecode(text, bytes, out _))
        {
            throw new FormatException(Problem(text));
        }

        return bytes;
    }

    /// <summary>Why the codec refused <paramref name="text"/> (whose length is right): the first bad character or group.</summary>
    private static string Problem(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsZ85Char(text[i]))
            {
                return text[i] is >= ' ' and <= '~'
                    ? $"'{text[i]}' at position {i} is not a Z85 character."
                    : $"the character U+{(int)text[i]:X4} at position {i} is not a Z85 character.";
            }
        }

        Span<byte> four = stackalloc byte[4];
        for (var group = 0; group < text.Length; group += 5)
        {
            if (!Z85Codec.TryDecode(text.Slice(group, 5), four, out _))
            {
                // Position only: the text may be a secret key, and its characters must not reach a log.
                return $"the group of 5 characters at position {group} stands for more than 4 bytes can hold.";
            }
        }

        return "it is not valid Z85.";
    }

    private static bool IsZ85Char(char c)
        => c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z'
            || ".-:+=^!/*?&<>()[]{}@%$#".Contains(c, StringComparison.Ordinal);
}
