using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A list held by a <see cref="Manager"/> (Python's <c>manager.list()</c>). Indexes are <see cref="Index"/>
/// values, so <c>list[^1]</c> is the last item, as Python's <c>list[-1]</c>. Each member is one atomic request.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
[MessagePack.MessagePackFormatter(typeof(ManagerProxyFormatters.ForList<>))]
public sealed class ListProxy<T> : ManagerProxy
{
    internal ListProxy(Manager manager, ManagerChannel channel, string name)
        : base(manager, channel, name)
    {
    }

    /// <summary>Gets or sets an item.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the list.</exception>
    public T this[Index index]
    {
        get => ValueCodec.Decode<T>(Wait(CallAsync(ManagerOp.ListGet, [ManagerWire.IndexFrame(index)], default))[0]);
        set => Wait(CallAsync(ManagerOp.ListSet, [ManagerWire.IndexFrame(index), ValueCodec.Encode(value)], default));
    }

    /// <summary>The number of items.</summary>
    public int Count
    {
        get
        {
            var payload = Wait(CallAsync(ManagerOp.ListCount, [], default));
            return ManagerWire.TryReadInt32(payload[0].Span, out var count) ? count : 0;
        }
    }

    /// <summary>Adds an item at the end (Python's append).</summary>
    public void Add(T item) => Wait(AddAsync(item));

    /// <summary>Adds an item at the end (Python's append).</summary>
    public async ValueTask AddAsync(T item, CancellationToken cancellationToken = default)
        => await CallAsync(ManagerOp.ListAppend, [ValueCodec.Encode(item)], cancellationToken).ConfigureAwait(false);

    /// <summary>Inserts an item before <paramref name="index"/> (the count appends).</summary>
    public void Insert(Index index, T item) => Wait(CallAsync(ManagerOp.ListInsert, [ManagerWire.IndexFrame(index), ValueCodec.Encode(item)], default));

    /// <summary>Removes and returns the item at <paramref name="index"/> (Python's pop(i)).</summary>
    public T RemoveAt(Index index) => ValueCodec.Decode<T>(Wait(CallAsync(ManagerOp.ListRemoveAt, [ManagerWire.IndexFrame(index)], default))[0]);

    /// <summary>Removes and returns the last item (Python's pop()).</summary>
    public T Pop() => RemoveAt(^1);

    /// <summary>A snapshot of the list, taken atomically.</summary>
    public T[] ToArray() => ValueCodec.DecodeAll<T>(Wait(CallAsync(ManagerOp.ListItems, [], default)));

    /// <summary>Removes every item.</summary>
    public void Clear() => Wait(CallAsync(ManagerOp.ListClear, [], default));
}
