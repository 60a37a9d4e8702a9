using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="ProcessRLock"/> by name; the receiving process opens it.</summary>
internal sealed class ProcessRLockFormatter : IMessagePackFormatter<ProcessRLock?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, ProcessRLock? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value.Name);
    }

    /// <inheritdoc />
    public ProcessRLock? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException("A ProcessRLock was sent without its name.");
        return ProcessRLock.Open(name);
    }
}
