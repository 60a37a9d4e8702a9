using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="SharedValue{T}"/> by name; the receiving process opens it.</summary>
internal sealed class SharedValueFormatter<T> : IMessagePackFormatter<SharedValue<T>?> where T : unmanaged
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, SharedValue<T>? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value.Name);
    }

    /// <inheritdoc />
    public SharedValue<T>? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException("A SharedValue was sent without its name.");
        return SharedValue<T>.Open(name);
    }
}
