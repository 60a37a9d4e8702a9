using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="ProcessLock"/> by name; the receiving process opens it.</summary>
internal sealed class ProcessLockFormatter : IMessagePackFormatter<ProcessLock?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, ProcessLock? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(value.Name);
    }

    /// <inheritdoc />
    public ProcessLock? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException("A ProcessLock was sent without its name.");
        return ProcessLock.Open(name);
    }
}
