using System.Buffers.Binary;
using System.Text;

namespace Baton.Wire;

/// <summary>Builds ZMTP metadata: name length (1 byte), name, value length (4 bytes BE), value.</summary>
internal sealed class MetadataWriter
{
    private readonly List<byte> _bytes = [];

    public void Add(string name, ReadOnlySpan<byte> value)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        _bytes.Add((byte)nameBytes.Length);
        _bytes.AddRange(nameBytes);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
        _bytes.AddRange(length);
        _bytes.AddRange(value);
    }

    public byte[] ToArray() => [.. _bytes];
}
