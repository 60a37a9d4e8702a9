using System.Text;

namespace Baton.Wire;

/// <summary>
/// The 64-byte ZMTP greeting (RFC 37 "Greeting"): signature, version, mechanism, as-server flag.
/// Writing, checking a prefix as it arrives, and parsing the whole all live here.
/// </summary>
internal readonly struct Greeting
{
    public const int Size = Zmtp.GreetingSize;

    private Greeting(byte major, byte minor, string mechanism, bool asServer)
    {
        Major = major;
        Minor = minor;
        Mechanism = mechanism;
        AsServer = asServer;
    }

    public byte Major { get; }

    public byte Minor { get; }

    /// <summary>The mechanism name, without its zero padding.</summary>
    public string Mechanism { get; }

    public bool AsServer { get; }

    /// <summary>A ZMTP 3.0 peer: it wants subscriptions as 0x01/0x00 messages rather than commands.</summary>
    public bool IsZmtp30 => Major == 3 && Minor == 0;

    /// <summary>Writes our greeting: ZMTP 3.1, the given mechanism, the as-server flag.</summary>
    public static void Write(Span<byte> destination, string mechanism, bool asServer)
    {
        destination[..Size].Clear();
        destination[0] = 0xFF;
        destination[9] = 0x7F;
        destination[10] = 3;
        destination[11] = 1;
        Encoding.ASCII.GetBytes(mechanism, destination.Slice(12, 20));
        destination[32] = asServer ? (byte)1 : (byte)0;
    }

    /// <summary>Checks the bytes of a greeting received so far, so a non-ZMTP peer is refused at its first bytes.</summary>
    public static void ValidatePrefix(ReadOnlySpan<byte> received)
    {
        if (received.Length >= 1 && received[0] != 0xFF)
        {
            throw new PeerException($"not a ZMTP greeting (first byte 0x{received[0]:X2})");
        }

        if (received.Length >= 10 && (received[9] & 1) != 1)
        {
            throw new PeerException("a ZMTP 1.0 peer (an identity frame, no signature) where a ZMTP 3 greeting was expected");
        }

        if (received.Length >= 11 && received[10] < 3)
        {
            // The byte is RFC 15's revision here, not a major version: revision 1 is ZMTP 2.0.
            var older = received[10] switch { 0 => "ZMTP 1.0", 1 => "ZMTP 2.0", _ => $"revision {received[10]}" };
            throw new PeerException($"a {older} greeting where a ZMTP 3 greeting was expected");
        }
    }

    /// <summary>Parses a whole greeting; throws <see cref="PeerException"/> when it is not one we can talk to.</summary>
    public static Greeting Parse(ReadOnlySpan<byte> greeting)
    {
        if (greeting.Length < Size)
        {
            throw new ArgumentException("A greeting is 64 bytes.", nameof(greeting));
        }

        ValidatePrefix(greeting);
        var mechanism = greeting.Slice(12, 20);
        var length = mechanism.IndexOf((byte)0);
        var name = Encoding.ASCII.GetString(length < 0 ? mechanism : mechanism[..length]);
        return new Greeting(greeting[10], greeting[11], name, greeting[32] == 1);
    }
}
