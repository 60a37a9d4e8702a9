using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A dictionary held by a <see cref="Manager"/> (Python's <c>manager.dict()</c>). Keys are compared by their
/// serialized form, so use keys whose serialization is canonical: numbers, strings, records of those.
/// Each member is one atomic request; <see cref="GetOrAdd"/> is the atomic read-or-insert.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
[MessagePack.MessagePackFormatter(typeof(ManagerProxyFormatters.ForDictionary<,>))]
public sealed class DictionaryProxy<TKey, TValue> : ManagerProxy
    where TKey : notnull
{
    internal DictionaryProxy(Manager manager, ManagerChannel channel, string name)
        : base(manager, channel, name)
    {
    }

    /// <summary>Gets or sets the value of a key; getting a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public TValue this[TKey key]
    {
        get => Wait(GetAsync(key));
        set => Wait(SetAsync(key, value));
    }

    /// <summary>The number of entries.</summary>
    public int Count => Wait(CountAsync());

    /// <summary>Gets the value of a key.</summary>
    /// <exception cref="KeyNotFoundException">The key is not there.</exception>
    public async ValueTask<TValue> GetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        var (status, payload) = await SendAsync(ManagerOp.DictionaryGet, [ValueCodec.Encode(key)], cancellationToken).ConfigureAwait(false);
        return status switch
        {
            ManagerStatus.Ok => ValueCodec.Decode<TValue>(payload[0]),
            ManagerStatus.NotFound => throw new KeyNotFoundException($"The dictionary '{Name}' on the manager at {Endpoint} has no key '{key}'."),
            _ => throw Failure(status, payload),
        };
    }

    /// <summary>Gets the value of a key if it is there.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var (status, payload) = Wait(SendAsync(ManagerOp.DictionaryGet, [ValueCodec.Encode(key)], default));
        if (status == ManagerStatus.NotFound)
        {
            value = default!;
            return false;
        }

        value = status == ManagerStatus.Ok ? ValueCodec.Decode<TValue>(payload[0]) : throw Failure(status, payload);
        return true;
    }

    /// <summary>Sets the value of a key, adding it if needed.</summary>
    public async ValueTask SetAsync(TKey key, TValue value, CancellationToken cancellationToken = default)
        => await CallAsync(ManagerOp.DictionarySet, [ValueCodec.Encode(key), ValueCodec.Encode(value)], cancellationToken).ConfigureAwait(false);

    /// <summary>Returns the key's value, first adding <paramref name="value"/> if the key is missing, in one atomic step (Python's setdefault).</summary>
    public TValue GetOrAdd(TKey key, TValue value)
    {
        var payload = Wait(CallAsync(ManagerOp.DictionarySetDefault, [ValueCodec.Encode(key), ValueCodec.Encode(value)], default));
        return ValueCodec.Decode<TValue>(payload[0]);
    }

    /// <summary>Removes a key; returns false when it was not there.</summary>
    public bool Remove(TKey key) => Wait(SendAsync(ManagerOp.DictionaryRemove, [ValueCodec.Encode(key)], default)) switch
    {
        (ManagerStatus.Ok, _) => true,
        (ManagerStatus.NotFound, _) => false,
        var (status, payload) => throw Failure(status, payload),
    };

    /// <summary>Whether the key is there.</summary>
    public bool ContainsKey(TKey key) => Wait(SendAsync(ManagerOp.DictionaryContains, [ValueCodec.Encode(key)], default)) switch
    {
        (ManagerStatus.Ok, _) => true,
        (ManagerStatus.NotFound, _) => false,
        var (status, payload) => throw Failure(status, payload),
    };

    /// <summary>The number of entries.</summary>
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default)
    {
        var payload = await CallAsync(ManagerOp.DictionaryCount, [], cancellationToken).ConfigureAwait(false);
        return ManagerWire.TryReadInt32(payload[0].Span, out var count) ? count : 0;
    }

    /// <summary>A snapshot of the keys.</summary>
    public IReadOnlyList<TKey> Keys => ValueCodec.DecodeAll<TKey>(Wait(CallAsync(ManagerOp.DictionaryKeys, [], default)));

    /// <summary>A snapshot of the values.</summary>
    public IReadOnlyList<TValue> Values => ValueCodec.DecodeAll<TValue>(Wait(CallAsync(ManagerOp.DictionaryValues, [], default)));

    /// <summary>A snapshot of the whole dictionary, taken atomically.</summary>
    public Dictionary<TKey, TValue> ToDictionary()
    {
        var payload = Wait(CallAsync(ManagerOp.DictionaryItems, [], default));
        var copy = new Dictionary<TKey, TValue>(payload.Length / 2);
        for (var i = 0; i + 1 < payload.Length; i += 2)
        {
            copy[ValueCodec.Decode<TKey>(payload[i])] = ValueCodec.Decode<TValue>(payload[i + 1]);
        }

        return copy;
    }

    /// <summary>Removes every entry.</summary>
    public void Clear() => Wait(CallAsync(ManagerOp.DictionaryClear, [], default));
}
