using System.Buffers.Binary;
using System.Text;

namespace Baton.Wire;

/// <summary>Parsed ZMTP metadata properties; names compare case-insensitively (RFC 37).</summary>
internal sealed class Metadata
{
    private readonly Dictionary<string, byte[]> _properties = new(StringComparer.OrdinalIgnoreCase);

    public byte[]? this[string name] => _properties.TryGetValue(name, out var value) ? value : null;

    /// <summary>Every property, as received.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Properties => _properties;

    /// <summary>Parses a metadata block; false when it is truncated or malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out Metadata metadata, out string? error)
    {
        metadata = new Metadata();
        error = null;
        while (!data.IsEmpty)
        {
            int nameLength = data[0];
            if (nameLength == 0 || data.Length < 1 + nameLength + 4)
            {
                error = "truncated metadata property name";
                return false;
            }

            var name = Encoding.ASCII.GetString(data.Slice(1, nameLength));
            var valueLength = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1 + nameLength, 4));
            var rest = data[(1 + nameLength + 4)..];
            if (valueLength > (uint)rest.Length)
            {
                error = $"metadata property '{name}' claims {valueLength} bytes but only {rest.Length} remain";
                return false;
            }

            metadata._properties[name] = rest[..(int)valueLength].ToArray();
            data = rest[(int)valueLength..];
        }

        return true;
    }
}
