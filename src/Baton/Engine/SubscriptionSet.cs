namespace Baton.Engine;

/// <summary>
/// Prefix subscriptions with reference counts. Readers (message matching, on the hot path) see an
/// immutable snapshot; writers copy under a lock, as subscriptions change rarely.
/// </summary>
internal sealed class SubscriptionSet
{
    private readonly Lock _lock = new();
    private Entry[] _entries = [];

    public int Count => Volatile.Read(ref _entries).Length;

    /// <summary>Adds one reference to <paramref name="prefix"/>; returns the new count.</summary>
    public int Add(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            var entries = _entries;
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i].Prefix.AsSpan().SequenceEqual(prefix))
                {
                    var copy = (Entry[])entries.Clone();
                    copy[i] = copy[i] with { Count = copy[i].Count + 1 };
                    Volatile.Write(ref _entries, copy);
                    return copy[i].Count;
                }
            }

            Volatile.Write(ref _entries, [.. entries, new Entry(prefix.ToArray(), 1)]);
            return 1;
        }
    }

    /// <summary>Drops one reference to <paramref name="prefix"/>; returns the remaining count, or -1 if absent.</summary>
    public int Remove(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            var entries = _entries;
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i].Prefix.AsSpan().SequenceEqual(prefix))
                {
                    var remaining = entries[i].Count - 1;
                    if (remaining == 0)
                    {
                        var list = new List<Entry>(entries);
                        list.RemoveAt(i);
                        Volatile.Write(ref _entries, list.ToArray());
                    }
                    else
                    {
                        var copy = (Entry[])entries.Clone();
                        copy[i] = copy[i] with { Count = remaining };
                        Volatile.Write(ref _entries, copy);
                    }

                    return remaining;
                }
            }

            return -1;
        }
    }

    /// <summary>Removes <paramref name="prefix"/> whatever its count; true if it was there.</summary>
    public bool RemoveAll(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            var entries = _entries;
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i].Prefix.AsSpan().SequenceEqual(prefix))
                {
                    var list = new List<Entry>(entries);
                    list.RemoveAt(i);
                    Volatile.Write(ref _entries, list.ToArray());
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>True when some subscribed prefix starts <paramref name="data"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> data)
    {
        var entries = Volatile.Read(ref _entries);
        for (var i = 0; i < entries.Length; i++)
        {
            if (data.StartsWith(entries[i].Prefix))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The prefixes now subscribed.</summary>
    public byte[][] Prefixes()
    {
        var entries = Volatile.Read(ref _entries);
        var result = new byte[entries.Length][];
        for (var i = 0; i < entries.Length; i++)
        {
            result[i] = entries[i].Prefix;
        }

        return result;
    }

    private readonly record struct Entry(byte[] Prefix, int Count);
}
