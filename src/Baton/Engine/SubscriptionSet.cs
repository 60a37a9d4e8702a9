using System.Collections.Concurrent;

namespace Baton.Engine;

/// <summary>
/// Prefix subscriptions with reference counts. Matching runs on the hot path (every message a PUB sends,
/// once per subscriber) concurrently with changes, so it takes no lock: the prefixes sit in one hash
/// table per prefix length, and a message matches when its first L bytes are a key of table L. A match
/// costs one lookup per distinct length (usually one or two), whatever the number of subscriptions, and
/// an add or remove costs one lookup too: a peer that subscribes to 30,000 topics on connecting costs
/// its socket 30,000 cheap adds, not 30,000 copies of a growing array. Writers are serialized by a lock.
/// </summary>
internal sealed class SubscriptionSet
{
    private readonly Lock _lock = new();

    // Ascending by length; replaced (copy on write) only when a length appears for the first time.
    private Bucket[] _buckets = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds one reference to <paramref name="prefix"/>; returns the new count.</summary>
    public int Add(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            var bucket = Find(prefix.Length) ?? Insert(prefix.Length);
            var lookup = bucket.Lookup;
            if (lookup.TryGetValue(prefix, out var count))
            {
                lookup[prefix] = count + 1;
                return count + 1;
            }

            lookup[prefix] = 1;
            bucket.Changed(+1);
            Volatile.Write(ref _count, _count + 1);
            return 1;
        }
    }

    /// <summary>Drops one reference to <paramref name="prefix"/>; returns the remaining count, or -1 if absent.</summary>
    public int Remove(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            if (Find(prefix.Length) is not { } bucket || !bucket.Lookup.TryGetValue(prefix, out var count))
            {
                return -1;
            }

            if (count > 1)
            {
                var lookup = bucket.Lookup;
                lookup[prefix] = count - 1;
                return count - 1;
            }

            Drop(bucket, prefix);
            return 0;
        }
    }

    /// <summary>Removes <paramref name="prefix"/> whatever its count; true if it was there.</summary>
    public bool RemoveAll(ReadOnlySpan<byte> prefix)
    {
        lock (_lock)
        {
            if (Find(prefix.Length) is not { } bucket || !bucket.Lookup.ContainsKey(prefix))
            {
                return false;
            }

            Drop(bucket, prefix);
            return true;
        }
    }

    /// <summary>True when some subscribed prefix starts <paramref name="data"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> data)
    {
        var buckets = Volatile.Read(ref _buckets);
        for (var i = 0; i < buckets.Length; i++)
        {
            var bucket = buckets[i];
            if (bucket.Length > data.Length)
            {
                return false;
            }

            if (bucket.Matches(data[..bucket.Length]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The prefixes now subscribed.</summary>
    public byte[][] Prefixes()
    {
        lock (_lock)
        {
            var result = new byte[_count][];
            var next = 0;
            foreach (var bucket in _buckets)
            {
                foreach (var entry in bucket.Table)
                {
                    result[next++] = entry.Key;
                }
            }

            return result;
        }
    }

    private Bucket? Find(int length)
    {
        foreach (var bucket in _buckets)
        {
            if (bucket.Length == length)
            {
                return bucket;
            }
        }

        return null;
    }

    private Bucket Insert(int length)
    {
        var bucket = new Bucket(length);
        var buckets = _buckets;
        var grown = new Bucket[buckets.Length + 1];
        var at = 0;
        while (at < buckets.Length && buckets[at].Length < length)
        {
            grown[at] = buckets[at];
            at++;
        }

        grown[at] = bucket;
        Array.Copy(buckets, at, grown, at + 1, buckets.Length - at);

        // Published whole, after the bucket is ready: a matcher sees the old array or the new one.
        Volatile.Write(ref _buckets, grown);
        return bucket;
    }

    private void Drop(Bucket bucket, ReadOnlySpan<byte> prefix)
    {
        bucket.Lookup.TryRemove(prefix, out _, out _);
        bucket.Changed(-1);
        Volatile.Write(ref _count, _count - 1);
    }

    /// <summary>The prefixes of one length, and a shortcut while it holds just one.</summary>
    private sealed class Bucket
    {
        private int _live;

        // The only prefix while there is exactly one (the common case: a SUB with one topic), compared
        // directly instead of hashed. Written under the set's lock after the table, so a matcher reads
        // either a consistent pair or, for a moment around a change, the table alone.
        private volatile byte[]? _single;

        public Bucket(int length)
        {
            Length = length;
            Table = new ConcurrentDictionary<byte[], int>(PrefixComparer.Instance);
            Lookup = Table.GetAlternateLookup<ReadOnlySpan<byte>>();
        }

        public int Length { get; }

        public ConcurrentDictionary<byte[], int> Table { get; }

        public ConcurrentDictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> Lookup { get; }

        /// <summary>Whether <paramref name="head"/> (the message's first <see cref="Length"/> bytes) is subscribed.</summary>
        public bool Matches(ReadOnlySpan<byte> head)
        {
            if (Volatile.Read(ref _live) == 0)
            {
                return false;
            }

            if (Length == 0)
            {
                // The empty prefix: everything matches.
                return true;
            }

            return _single is { } only ? head.SequenceEqual(only) : Lookup.ContainsKey(head);
        }

        /// <summary>Under the set's lock, after the table changed by <paramref name="delta"/> keys.</summary>
        public void Changed(int delta)
        {
            var live = _live + delta;
            byte[]? single = null;
            if (live == 1)
            {
                foreach (var entry in Table)
                {
                    single = entry.Key;
                }
            }

            _single = single;
            Volatile.Write(ref _live, live);
        }
    }

    /// <summary>Byte-wise equality with a per-process random hash seed, looked up by span without a copy.</summary>
    private sealed class PrefixComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly PrefixComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        // HashCode's seed is random per process, so a peer cannot pick topics that all collide.
        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            var hash = default(HashCode);
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }
}
