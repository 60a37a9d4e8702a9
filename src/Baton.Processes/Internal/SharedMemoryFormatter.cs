using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>
/// Sends a <see cref="SharedMemory"/> by name; the receiving process opens the block and owns it until it
/// disposes it.
/// </summary>
internal sealed class SharedMemoryFormatter : IMessagePackFormatter<SharedMemory?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, SharedMemory? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value.Name);
    }

    /// <inheritdoc />
    public SharedMemory? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException("A SharedMemory was sent without its name.");
        return SharedMemory.Open(name);
    }
}
