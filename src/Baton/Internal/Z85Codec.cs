namespace Baton.Internal;

/// <summary>
/// Z85 (ZeroMQ RFC 32): four bytes as five printable characters, the way ZeroMQ writes CURVE keys
/// (32 bytes as 40 characters). The public face is <c>Baton.Security.Z85</c>.
/// </summary>
internal static class Z85Codec
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

    // Character -> digit, 0xFF for characters outside the alphabet.
    private static readonly byte[] Digits = BuildDigits();

    /// <summary>The Z85 text of <paramref name="data"/>, whose length must be a multiple of 4.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length % 4 != 0)
        {
            throw new ArgumentException($"Z85 encodes a multiple of 4 bytes; got {data.Length}.", nameof(data));
        }

        // string.Create cannot take a span as its state; the copy it takes instead may be a secret key, so it is wiped.
        var copy = data.ToArray();
        try
        {
            return string.Create(data.Length / 4 * 5, copy, static (chars, bytes) =>
            {
                for (int i = 0, c = 0; i < bytes.Length; i += 4, c += 5)
                {
                    var value = (uint)bytes[i] << 24 | (uint)bytes[i + 1] << 16 | (uint)bytes[i + 2] << 8 | bytes[i + 3];
                    for (var k = 4; k >= 0; k--)
                    {
                        chars[c + k] = Alphabet[(int)(value % 85)];
                        value /= 85;
                    }
                }
            });
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Decodes Z85 <paramref name="text"/> into <paramref name="destination"/> (4 bytes per 5 characters); false when it is not valid Z85.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        if (text.Length % 5 != 0 || destination.Length < text.Length / 5 * 4)
        {
            return false;
        }

        for (int c = 0, i = 0; c < text.Length; c += 5, i += 4)
        {
            ulong value = 0;
            for (var k = 0; k < 5; k++)
            {
                var ch = text[c + k];
                var digit = ch < 128 ? Digits[ch] : (byte)0xFF;
                if (digit == 0xFF)
                {
                    return false;
                }

                value = value * 85 + digit;
            }

            if (value > uint.MaxValue)
            {
                return false;
            }

            destination[i] = (byte)(value >> 24);
            destination[i + 1] = (byte)(value >> 16);
            destination[i + 2] = (byte)(value >> 8);
            destination[i + 3] = (byte)value;
        }

        written = text.Length / 5 * 4;
        return true;
    }

    /// <summary>A 32-byte CURVE key given as 32 raw bytes or as 40 Z85 characters (as libzmq's socket options take it).</summary>
    /// <exception cref="ArgumentException">Neither form.</exception>
    public static byte[] Key(ReadOnlySpan<byte> key, string paramName)
    {
        if (key.Length == Sodium.KeyBytes)
        {
            return key.ToArray();
        }

        if (key.Length == 40)
        {
            Span<char> text = stackalloc char[40];
            for (var i = 0; i < 40; i++)
            {
                text[i] = (char)key[i];
            }

            var decoded = new byte[Sodium.KeyBytes];
            var valid = TryDecode(text, decoded, out _);

            // The text may be a secret key's.
            text.Clear();
            if (valid)
            {
                return decoded;
            }
        }

        throw new ArgumentException($"A CURVE key is 32 bytes, or 40 characters of Z85 text; got {key.Length} bytes{(key.Length == 40 ? " that are not valid Z85" : "")}.", paramName);
    }

    /// <summary>A 32-byte CURVE key from its 40-character Z85 text.</summary>
    /// <exception cref="ArgumentException">Not 40 characters of Z85.</exception>
    public static byte[] Key(string z85, string paramName)
    {
        ArgumentNullException.ThrowIfNull(z85, paramName);
        var decoded = new byte[Sodium.KeyBytes];
        if (z85.Length != 40 || !TryDecode(z85, decoded, out _))
        {
            throw new ArgumentException($"A CURVE key in Z85 is 40 characters of the Z85 alphabet; got {z85.Length} characters{(z85.Length == 40 ? " that are not valid Z85" : "")}.", paramName);
        }

        return decoded;
    }

    private static byte[] BuildDigits()
    {
        var digits = new byte[128];
        Array.Fill(digits, (byte)0xFF);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            digits[Alphabet[i]] = (byte)i;
        }

        return digits;
    }
}
