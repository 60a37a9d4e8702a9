using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="SharedArray{T}"/> by name; the receiving process opens it.</summary>
internal sealed class SharedArrayFormatter<T> : IMessagePackFormatter<SharedArray<T>?> where T : unmanaged
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, SharedArray<T>? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value.Name);
    }

    /// <inheritdoc />
    public SharedArray<T>? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException("A SharedArray was sent without its name.");
        return SharedArray<T>.Open(name);
    }
}
