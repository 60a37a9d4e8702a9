namespace Baton.Wire;

/// <summary>A decoded frame header (RFC 37 section "Framing"): flags, body size and how many bytes the header took.</summary>
internal readonly struct FrameHeader(byte flags, int size, int headerLength)
{
    /// <summary>The flags byte as sent (LONG included).</summary>
    public byte Flags { get; } = flags;

    /// <summary>Body size in bytes.</summary>
    public int Size { get; } = size;

    /// <summary>2 for a short frame, 9 for a long one.</summary>
    public int HeaderLength { get; } = headerLength;

    public bool More => (Flags & Zmtp.FlagMore) != 0;

    public bool IsCommand => (Flags & Zmtp.FlagCommand) != 0;
}
