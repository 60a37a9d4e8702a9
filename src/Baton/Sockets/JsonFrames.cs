using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// JSON in and out of frames with System.Text.Json: serialized by a Utf8JsonWriter straight into a
/// pooled buffer that becomes the frame; read from the received frame in place. The writer is cached
/// per thread and per options, so steady traffic allocates only what the serializer itself does.
/// </summary>
internal static class JsonFrames
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static JsonSerializerOptions? t_writerOptions;

    /// <summary>A one-frame body holding <paramref name="value"/> as JSON.</summary>
    public static MessageBody Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = PooledFrameWriter.Rent();
        var writer = RentWriter(buffer, typeInfo.Options);
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
        }
        catch
        {
            ReturnWriter(writer, typeInfo.Options);
            buffer.Abandon();
            throw;
        }

        ReturnWriter(writer, typeInfo.Options);
        return MessageBody.Of(buffer.ToFrame());
    }

    /// <summary>Reads a <typeparamref name="T"/> from a one-frame message; a parse failure names the type and the place.</summary>
    public static T? Deserialize<T>(Message message, JsonTypeInfo<T> typeInfo)
    {
        var frame = message.Body.FrameAt(0);
        try
        {
            return JsonSerializer.Deserialize(frame.Span, typeInfo);
        }
        catch (JsonException e)
        {
            throw new JsonException(
                $"The message received ({frame.Length} bytes) is not valid JSON for {typeof(T)}: {e.Message}",
                e.Path,
                e.LineNumber,
                e.BytePositionInLine,
                e);
        }
    }

    private static Utf8JsonWriter RentWriter(PooledFrameWriter buffer, JsonSerializerOptions options)
    {
        var writer = t_writer;
        if (writer is not null && ReferenceEquals(t_writerOptions, options))
        {
            // Taken while in use: a converter that serializes on this thread gets its own.
            t_writer = null;
            writer.Reset(buffer);
            return writer;
        }

        return new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            // What JsonSerializer would apply itself when it makes the writer (Serialize to a stream or bytes).
            Encoder = options.Encoder ?? JavaScriptEncoder.Default,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,
            SkipValidation = true,
        });
    }

    private static void ReturnWriter(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        // Kept for the next message; it holds no buffer (Flush let go of it, and Rent resets it).
        t_writer = writer;
        t_writerOptions = options;
    }
}
