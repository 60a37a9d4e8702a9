using System.Buffers;
using Baton.Messages;
using Baton.Processes.Internal.Queues;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// One end of a <see cref="Pipe"/> (Python's <c>Connection</c>): send and receive values (MessagePack,
/// contractless, or your serializer) or raw bytes. Meant for one process at a time, as in Python; it is
/// safe from several threads. A receive on an end whose peer closed or died drains what was sent, then
/// throws <see cref="EndOfStreamException"/> (Python's EOFError).
/// </summary>
[MessagePackFormatter(typeof(PipeConnectionFormatter))]
public sealed class PipeConnection : IDisposable
{
    private readonly QueueCore _a; // second -> first; its header holds both ends' pids
    private readonly QueueCore? _b; // first -> second, when duplex
    private readonly QueueCore? _in;
    private readonly QueueCore? _out;

    internal PipeConnection(QueueCore a, QueueCore? b, int end)
    {
        _a = a;
        _b = b;
        End = end;
        a.Ring.ClaimEnd(end);
        (_in, _out) = end == 0 ? (a, b) : (b, a);
        Func<bool> peerGone = PeerGone;
        foreach (var core in new[] { _in, _out })
        {
            if (core is null)
                continue;
            core.ExtraStop = peerGone;
        }

        if (_in is not null)
            _in.StopError = () => new EndOfStreamException("The pipe's other end was closed or its process died; nothing more will arrive.");
        if (_out is not null)
            _out.StopError = () => new IOException("The pipe's other end was closed or its process died (a broken pipe).");
    }

    internal int End { get; }

    internal string AName => _a.Name;

    internal string? BName => _b?.Name;

    /// <summary>Whether this end can receive.</summary>
    public bool CanReceive => _in is not null;

    /// <summary>Whether this end can send.</summary>
    public bool CanSend => _out is not null;

    private bool PeerGone()
    {
        var peer = _a.Ring.EndPid(1 - End);
        return peer != 0 && !RingParking.IsAlive(peer);
    }

    /// <summary>Sends a value (MessagePack, contractless, unless a serializer is given).</summary>
    /// <exception cref="IOException">The other end is closed or dead.</exception>
    public void Send<T>(T value, IMessageSerializer<T>? serializer = null)
    {
        var buffer = ThreadBuffer.Rent();
        (serializer ?? MessagePackQueueSerializer<T>.Instance).Serialize(buffer, value);
        SendBytes(buffer.WrittenSpan);
    }

    /// <summary>Sends raw bytes (Python's send_bytes).</summary>
    /// <exception cref="IOException">The other end is closed or dead.</exception>
    public void SendBytes(ReadOnlySpan<byte> message)
    {
        var output = Output();
        try
        {
            output.Put(message, null, default);
        }
        catch (QueueClosedException)
        {
            throw new IOException("The pipe's other end was closed (a broken pipe).");
        }
    }

    /// <summary>Sends a value, waiting asynchronously for room.</summary>
    public ValueTask SendAsync<T>(T value, IMessageSerializer<T>? serializer = null, CancellationToken cancellationToken = default)
    {
        var buffer = ThreadBuffer.Rent();
        (serializer ?? MessagePackQueueSerializer<T>.Instance).Serialize(buffer, value);
        if (TrySendNow(buffer.WrittenSpan))
            return ValueTask.CompletedTask;
        // Only a wait needs its own copy: the thread's buffer is reused by the next send.
        var bytes = buffer.WrittenSpan.ToArray();
        return new ValueTask(AsyncWaits.Run(() => SendBytes(bytes), cancellationToken));
    }

    /// <summary>Sends raw bytes, waiting asynchronously for room.</summary>
    public ValueTask SendBytesAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (TrySendNow(message.Span))
            return ValueTask.CompletedTask;
        return new ValueTask(AsyncWaits.Run(() => SendBytes(message.Span), cancellationToken));
    }

    // Sends if there is room now; a closed pipe breaks as SendBytes reports it.
    private bool TrySendNow(ReadOnlySpan<byte> message)
    {
        var output = Output();
        try
        {
            return output.TryPut(message);
        }
        catch (QueueClosedException)
        {
            throw new IOException("The pipe's other end was closed (a broken pipe).");
        }
    }

    /// <summary>Receives a value, waiting for one.</summary>
    /// <param name="timeout">How long to wait; null: for ever.</param>
    /// <param name="serializer">The serializer the sender used; null: MessagePack.</param>
    /// <exception cref="EndOfStreamException">The other end closed or died and nothing is left.</exception>
    /// <exception cref="TimeoutException">Nothing came within <paramref name="timeout"/> (a <see cref="QueueEmptyException"/>).</exception>
    public T Receive<T>(TimeSpan? timeout = null, IMessageSerializer<T>? serializer = null)
    {
        var input = Input();
        Take(input, timeout, default, out var position, out var length);
        return Read(input, position, length, serializer);
    }

    /// <summary>Receives raw bytes (Python's recv_bytes).</summary>
    /// <inheritdoc cref="Receive{T}(TimeSpan?, IMessageSerializer{T})" path="/exception"/>
    public byte[] ReceiveBytes(TimeSpan? timeout = null)
    {
        var input = Input();
        Take(input, timeout, default, out var position, out var length);
        return input.CopyOut(position, length);
    }

    /// <summary>Receives raw bytes into <paramref name="destination"/> without allocating.</summary>
    /// <returns>The message's length.</returns>
    /// <inheritdoc cref="Receive{T}(TimeSpan?, IMessageSerializer{T})" path="/exception"/>
    public int ReceiveBytes(IBufferWriter<byte> destination, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var input = Input();
        Take(input, timeout, default, out var position, out var length);
        return input.CopyOut(destination, position, length);
    }

    /// <summary>Receives a value, waiting asynchronously.</summary>
    /// <inheritdoc cref="Receive{T}(TimeSpan?, IMessageSerializer{T})" path="/exception"/>
    public ValueTask<T> ReceiveAsync<T>(IMessageSerializer<T>? serializer = null, CancellationToken cancellationToken = default)
    {
        var input = Input();
        if (input.TryTake(out var position, out var length))
            return ValueTask.FromResult(Read(input, position, length, serializer));
        return new ValueTask<T>(AsyncWaits.Run(
            () =>
            {
                Take(input, null, cancellationToken, out var p, out var l);
                return Read(input, p, l, serializer);
            },
            cancellationToken));
    }

    /// <summary>Receives raw bytes, waiting asynchronously.</summary>
    public ValueTask<byte[]> ReceiveBytesAsync(CancellationToken cancellationToken = default)
    {
        var input = Input();
        if (input.TryTake(out var position, out var length))
            return ValueTask.FromResult(input.CopyOut(position, length));
        return new ValueTask<byte[]>(AsyncWaits.Run(
            () =>
            {
                Take(input, null, cancellationToken, out var p, out var l);
                return input.CopyOut(p, l);
            },
            cancellationToken));
    }

    /// <summary>Whether something can be received (Python's poll): waits up to <paramref name="timeout"/> (default: do not wait).</summary>
    /// <returns>True when a message waits, or when the other end is gone (a receive would then say so).</returns>
    public bool Poll(TimeSpan? timeout = default)
    {
        var input = Input();
        input.Enter();
        try
        {
            return RingWaits.Poll(input.Ring, timeout ?? TimeSpan.Zero, default, PeerGone);
        }
        finally
        {
            input.Exit();
        }
    }

    /// <summary>Closes this end: the other end drains what was sent, then its receives end (EndOfStreamException) and its sends fail.</summary>
    public void Close()
    {
        _in?.Ring.Close();
        _out?.Ring.Close();
    }

    /// <summary>Releases this process's handle on the end, without closing the pipe for others.</summary>
    public void Dispose()
    {
        _a.Dispose();
        _b?.Dispose();
    }

    private static void Take(QueueCore input, TimeSpan? timeout, CancellationToken cancellationToken, out long position, out int length)
    {
        try
        {
            input.Take(timeout, cancellationToken, out position, out length);
        }
        catch (QueueClosedException)
        {
            throw new EndOfStreamException("The pipe's other end was closed; nothing more will arrive.");
        }
    }

    private static T Read<T>(QueueCore input, long position, int length, IMessageSerializer<T>? serializer) =>
        input.Read(serializer ?? MessagePackQueueSerializer<T>.Instance, position, length);

    private QueueCore Input() => _in ?? throw new InvalidOperationException("This end of a one-way pipe only sends.");

    private QueueCore Output() => _out ?? throw new InvalidOperationException("This end of a one-way pipe only receives.");
}
