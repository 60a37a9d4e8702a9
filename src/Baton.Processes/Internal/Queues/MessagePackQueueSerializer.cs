using System.Buffers;
using Baton.Messages;
using MessagePack;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// The default serializer of typed queues and pipes: MessagePack with the contractless resolver, so
/// user types need no attributes (types with [MessagePackObject] or a [MessagePackFormatter] keep theirs).
/// </summary>
internal sealed class MessagePackQueueSerializer<T> : IMessageSerializer<T>
{
    public static readonly MessagePackQueueSerializer<T> Instance = new();

    /// <summary>Baton.Processes' one resolver chain (handles by name, standard, contractless).</summary>
    public static MessagePackSerializerOptions Options => Serialization.Options;

    // The formatter called directly: MessagePackSerializer's entry points add a pooled sequence and checks per call.
    private static readonly MessagePack.Formatters.IMessagePackFormatter<T> Formatter = Options.Resolver.GetFormatterWithVerify<T>();

    public void Serialize(IBufferWriter<byte> writer, T value)
    {
        var packer = new MessagePackWriter(writer);
        Formatter.Serialize(ref packer, value, Options);
        packer.Flush();
    }

    public T Deserialize(ReadOnlySequence<byte> data)
    {
        var reader = new MessagePackReader(data);
        return Formatter.Deserialize(ref reader, Options);
    }
}

/// <summary>A writer reused by each thread for serializing one message before it is copied into a ring.</summary>
internal static class ThreadBuffer
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_writer;

    public static ArrayBufferWriter<byte> Rent()
    {
        var writer = t_writer ??= new ArrayBufferWriter<byte>(256);
        writer.ResetWrittenCount();
        return writer;
    }
}
