using System.Buffers;

namespace Baton.Messages;

/// <summary>
/// Turns values of <typeparamref name="T"/> into the bytes of a one-frame message and back, for the
/// typed send and receive overloads of a socket (<c>SendAsync(value, serializer)</c>,
/// <c>ReceiveAsync(serializer)</c>). Plug in any binary serializer (MessagePack, MemoryPack,
/// protobuf) with a few lines; Baton itself depends on none. Implementations should be thread-safe:
/// a socket may use one from many threads at once.
/// </summary>
/// <typeparam name="T">The type of the values carried.</typeparam>
public interface IMessageSerializer<T>
{
    /// <summary>
    /// Writes <paramref name="value"/> into <paramref name="writer"/>. The writer's buffers come from
    /// a pool and become the frame as they are, with no copy.
    /// </summary>
    void Serialize(IBufferWriter<byte> writer, T value);

    /// <summary>
    /// Reads a value from <paramref name="data"/>, the bytes of a received frame. They are only valid
    /// during the call (the message goes back to its pool afterwards): copy what must outlive it.
    /// </summary>
    T Deserialize(ReadOnlySequence<byte> data);
}
