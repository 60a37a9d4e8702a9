using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal.Queues;

/// <summary>A queue travels to another process as its name; the receiver opens its own handle.</summary>
internal sealed class QueueHandleFormatter : ByNameFormatter<ByteQueue>
{
    protected override string NameOf(ByteQueue value) => value.Name;

    protected override ByteQueue Open(string name) => ByteQueue.Open(name);
}

/// <summary>A typed queue travels as its name (the receiver uses the default serializer).</summary>
internal sealed class ProcessQueueFormatter<T> : ByNameFormatter<ProcessQueue<T>>
{
    protected override string NameOf(ProcessQueue<T> value) => value.Name;

    protected override ProcessQueue<T> Open(string name) => ProcessQueue<T>.Open(name);
}

/// <summary>A joinable queue travels as its name.</summary>
internal sealed class JoinableProcessQueueFormatter<T> : ByNameFormatter<JoinableProcessQueue<T>>
{
    protected override string NameOf(JoinableProcessQueue<T> value) => value.Name;

    protected override JoinableProcessQueue<T> Open(string name) => JoinableProcessQueue<T>.Open(name);
}

/// <summary>A pipe end travels as its rings' names and which end it is; the receiver records its pid there.</summary>
internal sealed class PipeConnectionFormatter : IMessagePackFormatter<PipeConnection?>
{
    public void Serialize(ref MessagePackWriter writer, PipeConnection? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(3);
        writer.Write(value.AName);
        writer.Write(value.BName);
        writer.Write(value.End);
    }

    public PipeConnection? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        if (reader.ReadArrayHeader() != 3)
            throw new MessagePackSerializationException("A pipe end is three fields.");
        var a = reader.ReadString()!;
        var b = reader.ReadString();
        var end = reader.ReadInt32();
        var ringA = QueueCore.Open(a);
        try
        {
            return new PipeConnection(ringA, b is null ? null : QueueCore.Open(b), end);
        }
        catch
        {
            ringA.Dispose();
            throw;
        }
    }
}
