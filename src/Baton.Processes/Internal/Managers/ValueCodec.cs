using Baton.Messages;
using MessagePack;

namespace Baton.Processes.Internal.Managers;

/// <summary>Turns a proxy's keys and values into the bytes a manager stores, and back.</summary>
internal static class ValueCodec
{
    private static MessagePackSerializerOptions Options => Serialization.Options;

    public static Frame Encode<T>(T value)
    {
        try
        {
            return new Frame(MessagePackSerializer.Serialize(value, Options));
        }
        catch (MessagePackSerializationException e)
        {
            throw new ArgumentException($"A value of type {Serialization.TypeName(value?.GetType() ?? typeof(T))} cannot be serialized for a manager: {e.InnerException?.Message ?? e.Message}", nameof(value), e);
        }
    }

    public static T Decode<T>(Frame frame)
    {
        try
        {
            return MessagePackSerializer.Deserialize<T>(frame.Memory, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"A value held by the manager cannot be read as {Serialization.TypeName(typeof(T))}: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    public static T[] DecodeAll<T>(Frame[] frames)
    {
        var values = new T[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            values[i] = Decode<T>(frames[i]);
        }

        return values;
    }
}
