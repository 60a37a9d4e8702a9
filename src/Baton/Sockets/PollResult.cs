using System.Collections;

namespace Baton.Sockets;

/// <summary>
/// The sockets one poll found ready. Pass the same instance to every poll of a loop: each poll clears
/// and refills it, so polling allocates nothing. Not thread-safe: one poll at a time per instance.
/// </summary>
public sealed class PollResult : IReadOnlyList<PollItem>
{
    private PollItem[] _items = new PollItem[8];
    private int _count;

    /// <summary>How many sockets are ready (0 after a poll that timed out).</summary>
    public int Count => _count;

    /// <summary>The ready socket at <paramref name="index"/>, with its events.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public PollItem this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _items[index];
        }
    }

    /// <summary>What <paramref name="socket"/> is ready for; <see cref="PollEvents.None"/> when it is not in the result.</summary>
    public PollEvents EventsOf(ZmqSocket socket)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_items[i].Socket == socket)
            {
                return _items[i].Events;
            }
        }

        return PollEvents.None;
    }

    /// <summary>True when <paramref name="socket"/> is ready for every event in <paramref name="events"/>.</summary>
    public bool IsReady(ZmqSocket socket, PollEvents events = PollEvents.Receive)
        => events != PollEvents.None && (EventsOf(socket) & events) == events;

    /// <summary>Enumerates the ready sockets without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<PollItem> IEnumerable<PollItem>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
    }

    internal void Add(ZmqSocket socket, PollEvents events)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[_count++] = new PollItem(socket, events);
    }

    /// <summary>Enumerates a <see cref="PollResult"/>.</summary>
    public struct Enumerator : IEnumerator<PollItem>
    {
        private readonly PollResult _result;
        private int _index;

        internal Enumerator(PollResult result)
        {
            _result = result;
            _index = -1;
        }

        /// <inheritdoc />
        public readonly PollItem Current => _result._items[_index];

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext() => ++_index < _result._count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }
}
