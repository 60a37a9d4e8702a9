using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Baton.Messages;

namespace Baton.Sockets;

// JSON with System.Text.Json: a value travels as one UTF-8 JSON frame.
public abstract partial class ZmqSocket
{
    private const string ReflectionJson = "JSON serialization with JsonSerializerOptions may use reflection; pass a source-generated JsonTypeInfo<T> for trimming and native AOT.";

    /// <summary>
    /// Sends <paramref name="value"/> as a one-frame message of UTF-8 JSON, written by
    /// <paramref name="jsonTypeInfo"/> (source-generated: <c>MyJsonContext.Default.Order</c>) straight
    /// into pooled storage. Waits as <see cref="SendAsync(Message, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="jsonTypeInfo"/> is null.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot send, or the serializer cannot serialize the value.</exception>
    /// <exception cref="InvalidOperationException">The send breaks the type's state machine (REQ, REP).</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask SendJsonAsync<T>(T value, JsonTypeInfo<T> jsonTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        ThrowIfCannotSendNow(cancellationToken);
        return SendOwnedAsync(JsonFrames.Serialize(value, jsonTypeInfo), cancellationToken);
    }

    /// <summary>Sends <paramref name="value"/> as one frame of JSON serialized with <paramref name="options"/> (<see cref="JsonSerializerOptions.Default"/> when null).</summary>
    /// <inheritdoc cref="SendJsonAsync{T}(T, JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(ReflectionJson)]
    public ValueTask SendJsonAsync<T>(T value, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
        => SendJsonAsync(value, TypeInfo<T>(options), cancellationToken);

    /// <summary>Sends <paramref name="value"/> as one frame of JSON, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendJsonAsync{T}(T, JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    public void SendJson<T>(T value, JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        ThrowIfCannotSendNow(CancellationToken.None);
        TrySendBody(default, JsonFrames.Serialize(value, jsonTypeInfo), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sends <paramref name="value"/> as one frame of JSON serialized with <paramref name="options"/>, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendJsonAsync{T}(T, JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(ReflectionJson)]
    public void SendJson<T>(T value, JsonSerializerOptions? options = null) => SendJson(value, TypeInfo<T>(options));

    /// <summary>
    /// Receives a one-frame message of UTF-8 JSON and deserializes it with <paramref name="jsonTypeInfo"/>,
    /// reading the frame in place. The message is disposed here, whatever happens. The JSON literal
    /// <c>null</c> gives <c>default</c>.
    /// </summary>
    /// <exception cref="JsonException">The frame is not valid JSON for <typeparamref name="T"/>; the message names the type, the path and the position.</exception>
    /// <exception cref="InvalidDataException">The message had more than one frame (it is discarded).</exception>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<T?> ReceiveJsonAsync<T>(JsonTypeInfo<T> jsonTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return ReceiveAsAsync(jsonTypeInfo, static (message, typeInfo) => ReadJson(message, typeInfo), cancellationToken);
    }

    /// <summary>Receives a one-frame JSON message and deserializes it with <paramref name="options"/> (<see cref="JsonSerializerOptions.Default"/> when null).</summary>
    /// <inheritdoc cref="ReceiveJsonAsync{T}(JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(ReflectionJson)]
    public ValueTask<T?> ReceiveJsonAsync<T>(JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
        => ReceiveJsonAsync(TypeInfo<T>(options), cancellationToken);

    /// <summary>Receives a one-frame JSON message, blocking until one arrives.</summary>
    /// <inheritdoc cref="ReceiveJsonAsync{T}(JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    public T? ReceiveJson<T>(JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return ReadJson(Receive(), jsonTypeInfo);
    }

    /// <summary>Receives a one-frame JSON message deserialized with <paramref name="options"/>, blocking until one arrives.</summary>
    /// <inheritdoc cref="ReceiveJsonAsync{T}(JsonTypeInfo{T}, CancellationToken)" path="/exception"/>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(ReflectionJson)]
    public T? ReceiveJson<T>(JsonSerializerOptions? options = null) => ReceiveJson(TypeInfo<T>(options));

    private static T? ReadJson<T>(Message message, JsonTypeInfo<T> jsonTypeInfo)
    {
        using (message)
        {
            ThrowIfNotOneFrame(message, "JSON");
            return JsonFrames.Deserialize(message, jsonTypeInfo);
        }
    }

    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(ReflectionJson)]
    private static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions? options)
    {
        options ??= JsonSerializerOptions.Default;
        if (!options.IsReadOnly)
        {
            // As JsonSerializer does on first use: the options freeze, with the reflection resolver if none was set.
            options.MakeReadOnly(populateMissingResolver: true);
        }

        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }
}
