using System.Diagnostics.CodeAnalysis;
using Baton.Messages;
using Baton.Processes.Internal.Queues;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// Python's <c>multiprocessing.Queue</c> for .NET: a queue of <typeparamref name="T"/> between processes
/// on this machine, over a shared-memory ring, with many producers and many consumers in any processes.
/// Values travel as MessagePack (contractless: no attributes needed) unless you give a serializer.
/// Pass it to a child process as an argument (it travels by name) or open it with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// Named <c>ProcessQueue</c> rather than <c>Queue</c> so that it never clashes with
/// <see cref="System.Collections.Generic.Queue{T}"/>, which every project imports implicitly.
/// A message fully put before its producer died is delivered; one being written when its producer died
/// is dropped, never delivered in part; one taken by a consumer that died before it was deserialized is
/// lost (at most once). The shared memory goes away with the last handle. See docs/PROCESSES.md, "Queues and pipes between processes".
/// </remarks>
/// <typeparam name="T">The type of the messages.</typeparam>
[MessagePackFormatter(typeof(ProcessQueueFormatter<>))]
public class ProcessQueue<T> : IProcessQueue<T>, IDisposable
{
    private readonly IMessageSerializer<T> _serializer;

    // Strings with the default serializer go straight into the ring in MessagePack's format.
    private readonly bool _directStrings;

    private protected ProcessQueue(QueueCore core, IMessageSerializer<T>? serializer)
    {
        Core = core;
        _serializer = serializer ?? MessagePackQueueSerializer<T>.Instance;
        _directStrings = typeof(T) == typeof(string) && serializer is null;
    }

    /// <summary>Creates a queue.</summary>
    /// <param name="maxSize">The most messages it holds before puts wait (Python's maxsize); 0: bounded by bytes only.</param>
    /// <param name="capacity">The ring's size in bytes (rounded up to a power of two); a serialized message may take at most half of it.</param>
    /// <param name="serializer">How values become bytes; null: MessagePack, contractless. Every process must use the same.</param>
    public ProcessQueue(int maxSize = 0, long capacity = QueueCore.DefaultCapacity, IMessageSerializer<T>? serializer = null)
        : this(QueueCore.Create(maxSize, capacity), serializer)
    {
    }

    internal QueueCore Core { get; }

    /// <summary>Opens, in this process, a queue created elsewhere.</summary>
    /// <exception cref="FileNotFoundException">No queue has that name (any more).</exception>
    public static ProcessQueue<T> Open(string name, IMessageSerializer<T>? serializer = null) => new(QueueCore.Open(name), serializer);

    /// <summary>The name other processes open this queue by.</summary>
    public string Name => Core.Name;

    /// <summary>The largest serialized message this queue carries, in bytes.</summary>
    public int MaxMessageSize => Core.Ring.MaxPayload;

    /// <summary>Messages waiting (approximate while others put and get, like Python's qsize).</summary>
    public int Count => (int)Math.Min(int.MaxValue, Core.Ring.Count);

    /// <summary>Whether no message waits (approximate).</summary>
    public bool IsEmpty => Core.Ring.Count == 0;

    /// <summary>Whether the queue was closed by any handle.</summary>
    public bool IsClosed => Core.Ring.IsClosed;

    /// <summary>Puts a value, waiting while the queue is full.</summary>
    /// <param name="item">The value; serialized before this returns.</param>
    /// <param name="timeout">How long to wait for room; null: for ever.</param>
    /// <exception cref="QueueFullException">No room came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    /// <exception cref="ArgumentException">The serialized value is larger than <see cref="MaxMessageSize"/>.</exception>
    public void Put(T item, TimeSpan? timeout = null)
    {
        if (_directStrings)
        {
            var text = (string?)(object?)item;
            Core.Put(MessagePackStrings.SizeOf(text), text, static (span, value) => MessagePackStrings.Write(value, span), timeout, default);
            return;
        }

        var buffer = ThreadBuffer.Rent();
        _serializer.Serialize(buffer, item);
        Core.Put(buffer.WrittenSpan, timeout, default);
    }

    /// <summary>Puts a value if there is room now.</summary>
    /// <returns>False when the queue is full.</returns>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    public bool TryPut(T item)
    {
        var buffer = ThreadBuffer.Rent();
        _serializer.Serialize(buffer, item);
        return Core.TryPut(buffer.WrittenSpan);
    }

    /// <summary>Puts a value, waiting asynchronously while the queue is full.</summary>
    /// <exception cref="QueueClosedException">The queue is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        var buffer = ThreadBuffer.Rent();
        _serializer.Serialize(buffer, item);
        if (Core.TryPut(buffer.WrittenSpan))
            return ValueTask.CompletedTask;
        var bytes = buffer.WrittenSpan.ToArray();
        return new ValueTask(AsyncWaits.Run(() => Core.Put(bytes, null, cancellationToken), cancellationToken));
    }

    /// <summary>Takes a value, waiting for one.</summary>
    /// <param name="timeout">How long to wait; null: for ever.</param>
    /// <exception cref="QueueEmptyException">None came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    public T Get(TimeSpan? timeout = null)
    {
        Core.Take(timeout, default, out var position, out var length);
        return Read(position, length);
    }

    /// <summary>Takes a value if one is ready.</summary>
    public bool TryGet([MaybeNullWhen(false)] out T item)
    {
        if (!Core.TryTake(out var position, out var length))
        {
            item = default;
            return false;
        }

        item = Read(position, length);
        return true;
    }

    /// <summary>Takes a value, waiting asynchronously for one.</summary>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<T>(cancellationToken);
        if (TryGet(out var item))
            return ValueTask.FromResult(item);
        return new ValueTask<T>(AsyncWaits.Run(() =>
        {
            Core.Take(null, cancellationToken, out var position, out var length);
            return Read(position, length);
        }, cancellationToken));
    }

    /// <summary>
    /// Takes up to <paramref name="maxCount"/> values into <paramref name="items"/>: waits for the first
    /// (up to <paramref name="timeout"/>), then takes only what is already there.
    /// </summary>
    /// <returns>How many were added.</returns>
    /// <exception cref="QueueEmptyException">None came within <paramref name="timeout"/>.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and drained.</exception>
    public int GetMany(ICollection<T> items, int maxCount, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        items.Add(Get(timeout));
        var added = 1;
        while (added < maxCount && TryGet(out var item))
        {
            items.Add(item);
            added++;
        }

        return added;
    }

    /// <summary>Takes up to <paramref name="maxCount"/> values, waiting for the first.</summary>
    /// <inheritdoc cref="GetMany(ICollection{T}, int, TimeSpan?)" path="/exception"/>
    public List<T> GetMany(int maxCount, TimeSpan? timeout = null)
    {
        var items = new List<T>(Math.Min(maxCount, 1024));
        GetMany(items, maxCount, timeout);
        return items;
    }

    /// <summary>Closes the queue for every process: puts fail from now on; gets drain what is left, then throw <see cref="QueueClosedException"/>.</summary>
    public void Close() => Core.Ring.Close();

    /// <summary>Releases this process's handle; the shared memory goes away with the last one.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the handle.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
            Core.Dispose();
    }

    private unsafe T Read(long position, int length)
    {
        try
        {
            if (_directStrings && MessagePackStrings.TryRead(new ReadOnlySpan<byte>(Core.Ring.PayloadPointer(position), length), out var text))
                return (T)(object)text!;
            return _serializer.Deserialize(PointerMemory.Over(Core.Ring.PayloadPointer(position), length));
        }
        finally
        {
            Core.Release(position, length);
        }
    }
}
