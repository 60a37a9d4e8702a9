using System.Diagnostics.CodeAnalysis;

namespace Baton.Processes;

/// <summary>
/// A queue between processes, as Python's <c>multiprocessing.Queue</c>: <see cref="ProcessQueue{T}"/> on one
/// machine (a shared-memory ring), <see cref="QueueProxy{T}"/> through a <see cref="Manager"/> across
/// machines (Baton tcp sockets). Code written against this interface runs over either.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IProcessQueue<T>
{
    /// <summary>The number of items queued (approximate, as Python's qsize: other processes may change it at once).</summary>
    int Count { get; }

    /// <summary>Adds an item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is full.</summary>
    /// <exception cref="QueueFullException">The queue stayed full.</exception>
    void Put(T item, TimeSpan? timeout = null);

    /// <summary>Adds an item, waiting while the queue is full.</summary>
    ValueTask PutAsync(T item, CancellationToken cancellationToken = default);

    /// <summary>Takes the next item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is empty.</summary>
    /// <exception cref="QueueEmptyException">The queue stayed empty.</exception>
    T Get(TimeSpan? timeout = null);

    /// <summary>Takes the next item, waiting while the queue is empty.</summary>
    ValueTask<T> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the next item if one is queued now.</summary>
    bool TryGet([MaybeNullWhen(false)] out T item);
}
