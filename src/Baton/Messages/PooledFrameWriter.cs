using System.Buffers;

namespace Baton.Messages;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that serializers write a frame's bytes into: the buffer comes from
/// the shared array pool and becomes the frame as it is, with no copy at the end, and goes back to the
/// pool when the message is disposed or sent. One writer per thread is reused, so a steady stream of
/// serialized messages allocates nothing here.
/// </summary>
internal sealed class PooledFrameWriter : IBufferWriter<byte>
{
    /// <summary>Frames larger than this leave the pool for the garbage collector, as <see cref="Frame"/>'s large rentals do.</summary>
    private const int PooledLimit = 1 << 20;

    [ThreadStatic]
    private static PooledFrameWriter? t_cached;

    private byte[] _buffer = [];
    private int _written;

    private PooledFrameWriter()
    {
    }

    /// <summary>This thread's writer, empty; give it back with <see cref="ToFrame"/> or <see cref="Abandon"/>.</summary>
    public static PooledFrameWriter Rent()
    {
        // Taken out while in use, so a serializer that serializes (or sends) inside its own call gets another.
        var writer = t_cached ?? new PooledFrameWriter();
        t_cached = null;
        return writer;
    }

    /// <summary>The bytes written so far.</summary>
    public int WrittenCount => _written;

    /// <inheritdoc />
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the buffer obtained from GetSpan or GetMemory.");
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Hands the bytes written over as a frame (the buffer itself) and returns the writer to this thread.</summary>
    public Frame ToFrame()
    {
        Frame frame;
        if (_written == 0)
        {
            ReturnBuffer();
            frame = default;
        }
        else
        {
            frame = new Frame(_buffer, 0, _written, _buffer.Length > PooledLimit ? FrameOwnership.Caller : FrameOwnership.Pool);
            _buffer = [];
        }

        _written = 0;
        t_cached = this;
        return frame;
    }

    /// <summary>Drops what was written (a serializer failed) and returns the writer to this thread.</summary>
    public void Abandon()
    {
        ReturnBuffer();
        _written = 0;
        t_cached = this;
    }

    private void Reserve(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var size = Math.Max(_written + sizeHint, Math.Max(256, _buffer.Length * 2));
        var grown = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ReturnBuffer();
        _buffer = grown;
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0 && _buffer.Length <= PooledLimit)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
    }
}
