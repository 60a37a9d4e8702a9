using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Baton.Processes.Internal.Queues;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// A queue of raw byte messages between processes on this machine, over a shared-memory ring: many
/// producers and many consumers, in any processes; bytes stay bytes, no serializer. Pass it to a child
/// process as an argument (it travels by name) or open it with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// A message fully put before its producer died is delivered; one being written when its producer
/// died is dropped, never delivered in part; one taken by a consumer that died before it finished
/// reading is lost (at most once). The shared memory goes away with the last handle.
/// See docs/PROCESSES.md, "Queues and pipes between processes".
/// </remarks>
[MessagePackFormatter(typeof(QueueHandleFormatter))]
public sealed class ByteQueue : IDisposable
{
    internal ByteQueue(QueueCore core) => Core = core;

    /// <summary>Creates a queue.</summary>
    /// <param name="maxSize">The most messages it holds before puts wait (Python's maxsize); 0: bounded by bytes only.</param>
    /// <param name="capacity">The ring's size in bytes (rounded up to a power of two); a message may take at most half of it.</param>
    public ByteQueue(int maxSize = 0, long capacity = QueueCore.DefaultCapacity)
        : this(QueueCore.Create(maxSize, capacity))
    {
    }

    internal QueueCore Core { get; }

    /// <summary>Opens, in this process, a queue created elsewhere.</summary>
    /// <exception cref="FileNotFoundException">No queue has that name (any more).</exception>
    public static ByteQueue Open(string name) => new(QueueCore.Open(name));

    /// <summary>The name other processes open this queue by.</summary>
    public string Name => Core.Name;

    /// <summary>The largest message this queue carries, in bytes.</summary>
    public int MaxMessageSize => Core.Ring.MaxPayload;

    /// <summary>Messages waiting (approximate while others put and get, like Python's qsize).</summary>
    public int Count => (int)Math.Min(int.MaxValue, Core.Ring.Count);

    /// <summary>Whether no message waits (approximate).</summary>
    public bool IsEmpty => Core.Ring.Count == 0;

    /// <summary>Whether the queue was closed by any handle.</summary>
    public bool IsClosed => Core.Ring.IsClosed;

    /// <summary>Puts a message, waiting while the queue is full.</summary>
    /// <param name="message">The bytes; copied.</param>
    /// <param name="timeout">How long to wait for room; null: for ever.</param>
    /// <exception cref="QueueFullException">No room came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    /// <exception cref="ArgumentException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    public void Put(ReadOnlySpan<byte> message, TimeSpan? timeout = null) => Core.Put(message, timeout, default);

    /// <summary>Puts a message if there is room now.</summary>
    /// <returns>False when the queue is full.</returns>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    public bool TryPut(ReadOnlySpan<byte> message) => Core.TryPut(message);

    /// <summary>Puts a message, waiting asynchronously while the queue is full.</summary>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask PutAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        if (Core.TryPut(message.Span))
            return ValueTask.CompletedTask;
        return new ValueTask(AsyncWaits.Run(() => Core.Put(message.Span, null, cancellationToken), cancellationToken));
    }

    /// <summary>Takes a message into <paramref name="destination"/>, waiting for one.</summary>
    /// <returns>The message's length.</returns>
    /// <exception cref="QueueEmptyException">None came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    public int Get(IBufferWriter<byte> destination, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Core.Take(timeout, default, out var position, out var length);
        return Core.CopyOut(destination, position, length);
    }

    /// <summary>Takes a message, waiting for one.</summary>
    /// <exception cref="QueueEmptyException">None came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    public byte[] Get(TimeSpan? timeout = null)
    {
        Core.Take(timeout, default, out var position, out var length);
        return Core.CopyOut(position, length);
    }

    /// <summary>Takes a message into <paramref name="destination"/> if one is ready.</summary>
    public bool TryGet(IBufferWriter<byte> destination, out int length)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!Core.TryTake(out var position, out length))
            return false;
        Core.CopyOut(destination, position, length);
        return true;
    }

    /// <summary>Takes a message if one is ready.</summary>
    public bool TryGet([NotNullWhen(true)] out byte[]? message)
    {
        if (!Core.TryTake(out var position, out var length))
        {
            message = null;
            return false;
        }

        message = Core.CopyOut(position, length);
        return true;
    }

    /// <summary>Takes a message, waiting asynchronously for one.</summary>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<byte[]> GetAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<byte[]>(cancellationToken);
        if (TryGet(out var message))
            return ValueTask.FromResult(message);
        return new ValueTask<byte[]>(AsyncWaits.Run(() =>
        {
            Core.Take(null, cancellationToken, out var position, out var length);
            return Core.CopyOut(position, length);
        }, cancellationToken));
    }

    /// <summary>
    /// Takes up to <paramref name="maxCount"/> messages into <paramref name="messages"/>: waits for the
    /// first (up to <paramref name="timeout"/>), then takes only what is already there.
    /// </summary>
    /// <returns>How many were added.</returns>
    /// <exception cref="QueueEmptyException">None came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    public int GetMany(ICollection<byte[]> messages, int maxCount, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        messages.Add(Get(timeout));
        var added = 1;
        while (added < maxCount && TryGet(out var message))
        {
            messages.Add(message);
            added++;
        }

        return added;
    }

    /// <summary>Closes the queue for every process: puts fail from now on; gets drain what is left, then throw <see cref="QueueClosedException"/>.</summary>
    public void Close() => Core.Ring.Close();

    /// <summary>Releases this process's handle; the shared memory goes away with the last one.</summary>
    public void Dispose() => Core.Dispose();
}
