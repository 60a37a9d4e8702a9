using System.Diagnostics.CodeAnalysis;
using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A queue held by a <see cref="Manager"/> (Python's <c>manager.Queue()</c>), usable from any process that
/// reaches the manager, on this machine or another: the <see cref="IProcessQueue{T}"/> that crosses machines. A blocked Put or Get waits on the manager, in arrival
/// order; cancelling one withdraws it there, and an item the manager had already handed over is returned
/// rather than lost.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
[MessagePack.MessagePackFormatter(typeof(ManagerProxyFormatters.ForQueue<>))]
public sealed class QueueProxy<T> : ManagerProxy, IProcessQueue<T>, IAsyncDisposable
{
    private readonly ManagerChannel _channel;

    internal QueueProxy(Manager manager, ManagerChannel channel, string name)
        : base(manager, channel, name)
    {
        _channel = channel;
    }

    /// <summary>The number of items queued (approximate, as Python's qsize: others may change it at once).</summary>
    public int Count
    {
        get
        {
            var payload = Wait(CallAsync(ManagerOp.QueueCount, [], default));
            return ManagerWire.TryReadInt32(payload[0].Span, out var count) ? count : 0;
        }
    }

    /// <summary>Adds an item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is full.</summary>
    /// <exception cref="QueueFullException">The queue stayed full (a <see cref="TimeoutException"/>).</exception>
    public void Put(T item, TimeSpan? timeout = null) => Wait(PutAsync(item, timeout, default));

    /// <summary>Adds an item, waiting while the queue is full.</summary>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default) => PutAsync(item, null, cancellationToken);

    /// <summary>Adds an item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is full.</summary>
    /// <exception cref="QueueFullException">The queue stayed full (a <see cref="TimeoutException"/>).</exception>
    public async ValueTask PutAsync(T item, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        var (status, payload) = await SendAsync(ManagerOp.QueuePut, [ValueCodec.Encode(item), ManagerWire.Int32(Milliseconds(timeout))], cancellationToken, withdrawable: true).ConfigureAwait(false);
        if (status != ManagerStatus.Ok)
        {
            throw status == ManagerStatus.TimedOut ? new QueueFullException($"The queue '{Name}' stayed full for {timeout}.") : Failure(status, payload);
        }
    }

    /// <summary>Takes the next item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is empty.</summary>
    /// <exception cref="QueueEmptyException">The queue stayed empty (a <see cref="TimeoutException"/>).</exception>
    public T Get(TimeSpan? timeout = null) => Wait(GetAsync(timeout, default));

    /// <summary>Takes the next item, waiting while the queue is empty.</summary>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default) => GetAsync(null, cancellationToken);

    /// <summary>Takes the next item, waiting up to <paramref name="timeout"/> (null: for ever) while the queue is empty.</summary>
    /// <exception cref="QueueEmptyException">The queue stayed empty (a <see cref="TimeoutException"/>).</exception>
    public async ValueTask<T> GetAsync(TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        var (status, payload) = await SendAsync(ManagerOp.QueueGet, [ManagerWire.Int32(Milliseconds(timeout))], cancellationToken, withdrawable: true).ConfigureAwait(false);
        return status switch
        {
            ManagerStatus.Ok => ValueCodec.Decode<T>(payload[0]),
            ManagerStatus.TimedOut => throw new QueueEmptyException($"The queue '{Name}' stayed empty for {timeout}."),
            _ => throw Failure(status, payload),
        };
    }

    /// <summary>Takes the next item if one is queued now.</summary>
    public bool TryGet([MaybeNullWhen(false)] out T item)
    {
        var (status, payload) = Wait(SendAsync(ManagerOp.QueueGet, [ManagerWire.Int32(0)], default));
        if (status == ManagerStatus.TimedOut)
        {
            item = default!;
            return false;
        }

        item = status == ManagerStatus.Ok ? ValueCodec.Decode<T>(payload[0]) : throw Failure(status, payload);
        return true;
    }

    /// <summary>Closes this proxy's own connection to the manager (the queue stays on the manager).</summary>
    public ValueTask DisposeAsync() => _channel.DisposeAsync();

    private static int Milliseconds(TimeSpan? timeout)
    {
        if (timeout is not { } value || value == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(timeout));
        return (int)Math.Min(int.MaxValue, Math.Ceiling(value.TotalMilliseconds));
    }
}
