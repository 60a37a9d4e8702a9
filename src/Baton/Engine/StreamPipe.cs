using System.Buffers;
using System.Diagnostics;
using Baton.Internal;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>
/// A pipe to a peer over a byte stream (tcp or ipc). It may outlive one connection: a connecting
/// socket keeps its pipe across reconnects so messages queue while the peer is away.
/// </summary>
/// <remarks>
/// Small messages are encoded into the wire format by the sending thread, straight into a chunk that
/// the write loop takes whole: the sender's copy is the only one, the message goes back to its pool at
/// once, and the write loop handles a chunk of hundreds of messages per system call rather than one
/// message at a time. A message with a large frame is queued as it is and written from its own buffers.
/// That fast path holds while the mechanism leaves bytes as they are (NULL): chunks then do not depend on
/// the connection and survive reconnects. A mechanism that transforms bytes (CURVE) encodes with
/// per-connection state, so its pipes queue every message as it is and the connection's write loop
/// encodes it through the mechanism at write time (Connection.WriteTransformedAsync; docs/WIRE.md).
/// </remarks>
internal sealed class StreamPipe : Pipe
{
    /// <summary>Frames above this size are written from their own buffer instead of being copied.</summary>
    public const int CopyThreshold = 8 * 1024;

    /// <summary>Size of the chunks messages are encoded into.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly Queue<Segment> _sealed = new();
    private readonly int _sendCapacity;

    // False when the mechanism transforms bytes: messages then wait unencoded for the connection's write loop.
    private readonly bool _preEncode;
    private byte[]? _chunk;
    private byte[]? _spare;
    private int _chunkUsed;
    private int _chunkMessages;
    private int _outboundCount;
    private long _progress;
    private volatile Connection? _connection;
    private volatile bool _terminated;

    public StreamPipe(IPipeOwner owner, string endpoint, EngineSettings options)
        : base(owner, endpoint)
    {
        _sendCapacity = options.SendHighWatermark;
        ReceiveCapacity = options.ReceiveHighWatermark;
        _preEncode = !options.Mechanism.TransformsBytes;
    }

    /// <summary>A run of encoded messages, or one message to write from its own buffers.</summary>
    public readonly record struct Segment(byte[]? Chunk, int Length, int Messages, MessageBody? Message);

    /// <summary>Woken when there is something to write: a message or a command.</summary>
    public AutoResetSignal OutboundSignal { get; } = new();

    /// <summary>Woken when the inbound share drops to the low-water mark.</summary>
    public AutoResetSignal InboundSpace { get; } = new();

    public Connection? Connection => _connection;

    public override bool IsConnected => _connection is not null && !_terminated;

    public bool IsTerminated => _terminated;

    /// <summary>Messages queued and not yet taken by a write loop.</summary>
    public int OutboundCount => Volatile.Read(ref _outboundCount);

    /// <summary>
    /// Grows as queued messages move: taken off the queue by a write loop, a chunk of them written, or
    /// a message with a large frame written.
    /// Closing watches it to tell a peer that is slowly taking a backlog from one that takes nothing.
    /// </summary>
    public long Progress => Volatile.Read(ref _progress);

    public override bool HasRoom => !_terminated && (_sendCapacity <= 0 || Volatile.Read(ref _outboundCount) < _sendCapacity);

    public override bool TryWrite(MessageBody message)
    {
        bool encoded;
        lock (_gate)
        {
            if (_terminated || (_sendCapacity > 0 && _outboundCount >= _sendCapacity))
            {
                return false;
            }

            encoded = _preEncode && TryEncode(message);
            if (!encoded)
            {
                Seal();
                _sealed.Enqueue(new Segment(null, 0, 1, message));
            }

            // Interlocked although under the gate: the write loop takes messages off without it.
            Interlocked.Increment(ref _outboundCount);
        }

        if (encoded)
        {
            message.Release();
        }

        Flush();
        return true;
    }

    /// <summary>Encodes a one-frame message straight from the caller's bytes: no message object at all.</summary>
    public override bool TryWrite(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > CopyThreshold || !_preEncode)
        {
            return base.TryWrite(frame);
        }

        lock (_gate)
        {
            if (_terminated || (_sendCapacity > 0 && _outboundCount >= _sendCapacity))
            {
                return false;
            }

            var span = Reserve(FrameEncoder.HeaderSize(frame.Length) + frame.Length);
            _chunkUsed += FrameEncoder.WriteFrame(span, 0, frame);
            _chunkMessages++;
            Interlocked.Increment(ref _outboundCount);
        }

        Flush();
        return true;
    }

    /// <summary>Gets what was just queued going: written inline by the sender when the socket is free, else by the write loop.</summary>
    private void Flush()
    {
        if (_connection is not { } connection || !connection.TryWriteInline())
        {
            OutboundSignal.Set();
        }
    }

    /// <summary>Room for <paramref name="size"/> bytes at the end of the current chunk, starting a new chunk if needed.</summary>
    private Span<byte> Reserve(int size)
    {
        Debug.Assert(_gate.IsHeldByCurrentThread);
        if (_chunk is null || ChunkSize - _chunkUsed < size)
        {
            Seal();
            _chunk = Interlocked.Exchange(ref _spare, null) ?? ArrayPool<byte>.Shared.Rent(ChunkSize);
        }

        return _chunk.AsSpan(_chunkUsed);
    }

    /// <summary>Encodes a message of small frames into the current chunk; false if it must go by reference.</summary>
    private bool TryEncode(MessageBody message)
    {
        Debug.Assert(_gate.IsHeldByCurrentThread);
        var size = FrameEncoder.MessageSize(message, CopyThreshold);
        if (size < 0 || size > ChunkSize)
        {
            return false;
        }

        // Reserve first: it may start a new chunk, which resets _chunkUsed.
        var span = Reserve(size);
        _chunkUsed += FrameEncoder.WriteMessage(span, message);
        _chunkMessages++;
        return true;
    }

    /// <summary>Closes the current chunk so that what follows is written after it.</summary>
    private void Seal()
    {
        Debug.Assert(_gate.IsHeldByCurrentThread);
        if (_chunkUsed > 0)
        {
            _sealed.Enqueue(new Segment(_chunk, _chunkUsed, _chunkMessages, null));
            _chunk = null;
            _chunkUsed = 0;
            _chunkMessages = 0;
        }
    }

    /// <summary>Takes the current chunk for an inline write, if it is all there is to write.</summary>
    public bool TryTakeLone(out Segment segment)
    {
        lock (_gate)
        {
            if (_sealed.Count > 0 || _chunkUsed == 0)
            {
                segment = default;
                return false;
            }

            segment = new Segment(_chunk, _chunkUsed, _chunkMessages, null);
            _chunk = null;
            _chunkUsed = 0;
            _chunkMessages = 0;
        }

        OnTaken(segment.Messages);
        return true;
    }

    /// <summary>
    /// Takes the one queued message for an inline write through a transforming mechanism (see
    /// Connection.TryWriteInline), if it is all there is and it encodes within a chunk
    /// (<paramref name="frameOverhead"/> bytes per frame on top of its bytes).
    /// </summary>
    public bool TryTakeLoneMessage(int frameOverhead, out MessageBody message)
    {
        lock (_gate)
        {
            if (_sealed.Count != 1 || _chunkUsed > 0 || _sealed.Peek().Message is not { } first
                || first.ByteCount + ((long)first.FrameCount * frameOverhead) > ChunkSize)
            {
                message = null!;
                return false;
            }

            _sealed.Dequeue();
            message = first;
        }

        OnTaken(1);
        return true;
    }

    /// <summary>A chunk to encode into on the send side: the spare one if there is one (give it back with <see cref="Recycle"/>).</summary>
    public byte[] RentChunk() => Interlocked.Exchange(ref _spare, null) ?? ArrayPool<byte>.Shared.Rent(ChunkSize);

    /// <summary>Takes the oldest queued chunk for a write on the sender's thread; false when there is none or a message written from its own buffers comes first.</summary>
    public bool TryTakeChunk(out Segment segment)
    {
        Debug.Assert(IsSendSideOwned, "Inline writer only.");
        lock (_gate)
        {
            if (_sealed.TryPeek(out var first))
            {
                if (first.Chunk is null)
                {
                    segment = default;
                    return false;
                }

                segment = _sealed.Dequeue();
            }
            else if (_chunkUsed > 0)
            {
                segment = new Segment(_chunk, _chunkUsed, _chunkMessages, null);
                _chunk = null;
                _chunkUsed = 0;
                _chunkMessages = 0;
            }
            else
            {
                segment = default;
                return false;
            }
        }

        OnTaken(segment.Messages);
        return true;
    }

    /// <summary>A sender found the queue full: it writes what is queued itself when no write is under way (see Connection.TryWriteQueued).</summary>
    public override bool TryFlushFull()
        => _sendCapacity > 0 && OutboundCount >= _sendCapacity && _connection is { } connection && connection.TryWriteQueued();

    /// <summary>Moves everything queued into <paramref name="batch"/> (write loop only); returns the bytes taken.</summary>
    public int TakeAll(List<Segment> batch)
    {
        Debug.Assert(IsSendSideOwned, "Write loop only.");
        var bytes = 0;
        var messages = 0;
        lock (_gate)
        {
            Seal();
            while (_sealed.TryDequeue(out var segment))
            {
                batch.Add(segment);
                messages += segment.Messages;
                bytes += segment.Chunk is null ? StreamPipe.CopyThreshold : segment.Length;
            }
        }

        if (messages > 0)
        {
            OnTaken(messages);
        }

        return bytes;
    }

    /// <summary>Counts messages leaving the queue; wakes blocked senders when it falls through the low-water mark, not per message.</summary>
    private void OnTaken(int messages)
    {
        var after = Interlocked.Add(ref _outboundCount, -messages);
        Interlocked.Add(ref _progress, messages);
        var lowWater = LowWater(_sendCapacity);
        if (after <= lowWater && after + messages > lowWater)
        {
            Owner.OnWritable();
        }
    }

    /// <summary>Counts a message with a large frame written from its own buffers, as progress (write loop only).</summary>
    public void OnWritten()
    {
        Debug.Assert(IsSendSideOwned, "Write loop only.");
        Interlocked.Increment(ref _progress);
    }

    /// <summary>Gives a written chunk back for the next messages (write loop only).</summary>
    public void Recycle(byte[] chunk)
    {
        Debug.Assert(IsSendSideOwned, "Write loop or inline writer only.");
        Interlocked.Increment(ref _progress);

        // Lock-free: the sender holds the gate for every message, the write loop should not queue behind it.
        if (_terminated || Interlocked.CompareExchange(ref _spare, chunk, null) is not null)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Returns the spare chunk to the shared pool while the pipe is idle, so idle peers hold no buffer.</summary>
    public void ReleaseSpare()
    {
        var spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null)
        {
            ArrayPool<byte>.Shared.Return(spare);
        }
    }

    /// <summary>True while whoever writes for the attached connection (its write loop, or a sender writing inline) holds the send side.</summary>
    private bool IsSendSideOwned => _connection is not { } connection || connection.IsSendSideOwned;

    public override void WriteControl(MessageBody message)
    {
        var connection = _connection;
        if (connection is null || _terminated)
        {
            return;
        }

        connection.EnqueueSubscription(message);
    }

    public void Attach(Connection connection) => _connection = connection;

    public void Detach(Connection connection)
    {
        if (_connection == connection)
        {
            _connection = null;
        }
    }

    protected override void OnInboundSpace() => InboundSpace.Set();

    public override void Terminate()
    {
        if (_terminated)
        {
            return;
        }

        var dropped = new List<Segment>();
        lock (_gate)
        {
            _terminated = true;
            Seal();
            while (_sealed.TryDequeue(out var segment))
            {
                dropped.Add(segment);
            }

            if (_chunk is not null)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
            }

            if (Interlocked.Exchange(ref _spare, null) is { } spare)
            {
                ArrayPool<byte>.Shared.Return(spare);
            }
        }

        foreach (var segment in dropped)
        {
            Release(segment);
        }

        Volatile.Write(ref _outboundCount, 0);
        OutboundSignal.Set();
        InboundSpace.Set();
        Owner.OnPipeTerminated(this);
    }

    /// <summary>Frees what a segment holds once written or dropped.</summary>
    public static void Release(Segment segment)
    {
        if (segment.Chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(segment.Chunk);
        }

        segment.Message?.Release();
    }
}
