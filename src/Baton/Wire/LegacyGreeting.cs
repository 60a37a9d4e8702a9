using System.Buffers;
using System.Buffers.Binary;

namespace Baton.Wire;

/// <summary>Which protocol a peer speaks, as the first bytes of its greeting tell.</summary>
internal enum ZmtpVersion
{
    /// <summary>ZMTP 1.0 without a signature (RFC 13): the peer's first bytes are its identity message.</summary>
    Zmtp10Unversioned,

    /// <summary>A signature with revision 0: the 12-byte greeting of RFC 15, then ZMTP 1.0 framing.</summary>
    Zmtp10,

    /// <summary>A signature with revision 1: ZMTP 2.0 (RFC 15).</summary>
    Zmtp20,

    /// <summary>A signature with major version 3 or later: ZMTP 3.x (RFC 37).</summary>
    Zmtp3,
}

/// <summary>
/// The staged greeting that lets a ZMTP 3 peer talk to ZMTP 2.0 and 1.0 peers (RFC 37, "Backwards
/// Interoperability"; RFC 15 section 2.1): both sides send the 10-byte signature first; the signature
/// tells a versioned peer from a 1.0 one, then the revision byte tells 1.0, 2.0 and 3.x apart.
/// </summary>
internal static class LegacyGreeting
{
    /// <summary>0xFF, 8 bytes of length, 0x7F.</summary>
    public const int SignatureSize = 10;

    /// <summary>Where the revision (ZMTP 2.0) or major version (ZMTP 3) sits.</summary>
    public const int RevisionOffset = 10;

    /// <summary>The ZMTP 1.0 and 2.0 greeting: signature, revision, socket type.</summary>
    public const int Zmtp2GreetingSize = 12;

    /// <summary>An identity is at most 255 bytes in every ZMTP version.</summary>
    public const int MaxIdentitySize = 255;

    private static readonly string[] s_socketTypes =
        ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"];

    /// <summary>
    /// Writes our signature. Its 8 padding bytes hold our identity's length + 1, so that a ZMTP 1.0
    /// peer reads the signature as the head of a long identity frame whose body we send next (RFC 15 2.1).
    /// </summary>
    public static void WriteSignature(Span<byte> destination, int identityLength)
    {
        destination[0] = 0xFF;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)identityLength + 1);
        destination[9] = 0x7F;
    }

    /// <summary>
    /// Reads what the peer sent so far: <see cref="OperationStatus.NeedMoreData"/> until it is clear,
    /// <see cref="OperationStatus.Done"/> with <paramref name="versioned"/> false for an unversioned
    /// ZMTP 1.0 peer (its first byte is not 0xFF, or bit 0 of byte 9 is clear: a 1.0 identity frame),
    /// true for a complete ZMTP 2+ signature.
    /// </summary>
    public static OperationStatus ReadSignature(ReadOnlySpan<byte> received, out bool versioned)
    {
        versioned = false;
        if (received.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (received[0] != 0xFF)
        {
            return OperationStatus.Done;
        }

        if (received.Length < SignatureSize)
        {
            return OperationStatus.NeedMoreData;
        }

        versioned = (received[9] & 1) != 0;
        return OperationStatus.Done;
    }

    /// <summary>The version a revision byte announces; false (with a reason) for one no ZMTP defines.</summary>
    public static bool TryParseRevision(byte revision, out ZmtpVersion version, out string? error)
    {
        error = null;
        switch (revision)
        {
            case 0:
                version = ZmtpVersion.Zmtp10;
                return true;
            case 1:
                version = ZmtpVersion.Zmtp20;
                return true;
            case >= 3:
                version = ZmtpVersion.Zmtp3;
                return true;
            default:
                version = default;
                error = $"not a ZMTP greeting (unknown revision 0x{revision:X2})";
                return false;
        }
    }

    /// <summary>The socket type a ZMTP 2.0 greeting's type byte names (RFC 15 2.2), or null.</summary>
    public static string? SocketTypeName(byte type) => type < s_socketTypes.Length ? s_socketTypes[type] : null;

    /// <summary>The ZMTP 2.0 type byte of a socket type's wire name (RFC 15 2.2).</summary>
    public static byte SocketTypeByte(string name)
    {
        var index = Array.IndexOf(s_socketTypes, name);
        return index >= 0 ? (byte)index : throw new ArgumentOutOfRangeException(nameof(name), name, "not a ZMTP socket type");
    }

    /// <summary>
    /// What we send after the major version byte to a peer of revision 0 or 1: our socket type byte,
    /// then our identity as the first frame in that version's framing (RFC 15 2.2 and 2.3).
    /// </summary>
    public static byte[] EncodeGreetingTail(ZmtpVersion version, string socketType, ReadOnlySpan<byte> identity)
    {
        var result = new byte[1 + Zmtp1Codec.MaxHeaderSize + identity.Length];
        result[0] = SocketTypeByte(socketType);
        var header = version == ZmtpVersion.Zmtp20
            ? FrameEncoder.WriteHeader(result.AsSpan(1), 0, identity.Length)
            : Zmtp1Codec.WriteHeader(result.AsSpan(1), more: false, identity.Length);
        identity.CopyTo(result.AsSpan(1 + header));
        return result.AsSpan(0, 1 + header + identity.Length).ToArray();
    }

    /// <summary>
    /// Reads the peer's identity frame, the first frame after its greeting, in the framing of
    /// <paramref name="version"/>. Done with the identity and the bytes it took; NeedMoreData;
    /// InvalidData with a reason. An unversioned peer's identity is the first thing it sends, so
    /// for it a malformed frame means the peer is not speaking ZMTP at all.
    /// </summary>
    public static OperationStatus ReadIdentity(ZmtpVersion version, ReadOnlySpan<byte> data, out Range identity, out int consumed, out string? error)
    {
        identity = default;
        consumed = 0;
        int header;
        ulong size;
        if (version == ZmtpVersion.Zmtp20)
        {
            var status = Zmtp2Codec.ReadHeader(data, out header, out size, out _, out error);
            if (status != OperationStatus.Done)
            {
                return status;
            }
        }
        else
        {
            var status = Zmtp1Codec.ReadHeader(data, out header, out size, out _, out error);
            if (status == OperationStatus.InvalidData && version == ZmtpVersion.Zmtp10Unversioned)
            {
                error = $"not a ZMTP greeting (read as a ZMTP 1.0 identity frame: {error})";
            }

            if (status != OperationStatus.Done)
            {
                return status;
            }
        }

        if (size > MaxIdentitySize)
        {
            error = version == ZmtpVersion.Zmtp10Unversioned
                ? $"not a ZMTP greeting (read as a ZMTP 1.0 identity frame, it would be {size} bytes long; at most {MaxIdentitySize})"
                : $"identity of {size} bytes in the greeting (at most {MaxIdentitySize})";
            return OperationStatus.InvalidData;
        }

        if ((ulong)(data.Length - header) < size)
        {
            return OperationStatus.NeedMoreData;
        }

        identity = new Range(header, header + (int)size);
        consumed = header + (int)size;
        return OperationStatus.Done;
    }
}
