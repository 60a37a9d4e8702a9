using System.Buffers;
using System.Text;

namespace Baton.Messages;

/// <summary>
/// One frame of a ZeroMQ message: a length-delimited block of bytes. A frame wraps the array it is
/// given without copying. A frame taken out of a <see cref="Message"/> stays valid whatever happens to
/// that message afterwards (see the remarks on <see cref="Message"/>).
/// </summary>
public readonly struct Frame : IEquatable<Frame>
{
    private readonly byte[]? _array;
    private readonly int _offset;
    private readonly int _length;
    private readonly FrameOwnership _ownership;

    /// <summary>Wraps <paramref name="data"/> without copying it; the frame takes the whole array.</summary>
    public Frame(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _array = data;
        _length = data.Length;
    }

    /// <summary>Wraps the first <paramref name="length"/> bytes of <paramref name="data"/> without copying.</summary>
    public Frame(byte[] data, int length)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, data.Length);
        _array = data;
        _length = length;
    }

    internal Frame(byte[] array, int length, bool pooled)
    {
        _array = array;
        _length = length;
        _ownership = pooled ? FrameOwnership.Pool : FrameOwnership.Caller;
    }

    internal Frame(byte[] array, int offset, int length, FrameOwnership ownership)
    {
        _array = array;
        _offset = offset;
        _length = length;
        _ownership = ownership;
    }

    /// <summary>A zero-length frame, such as the empty delimiter of a REQ/REP envelope.</summary>
    public static Frame Empty => default;

    /// <summary>The number of bytes in the frame.</summary>
    public int Length => _length;

    /// <summary>True for a zero-length frame.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>The frame's bytes.</summary>
    public ReadOnlySpan<byte> Span => _array is null ? default : new ReadOnlySpan<byte>(_array, _offset, _length);

    /// <summary>The frame's bytes as memory.</summary>
    public ReadOnlyMemory<byte> Memory => _array is null ? default : new ReadOnlyMemory<byte>(_array, _offset, _length);

    /// <summary>The frame's bytes for filling a freshly rented frame.</summary>
    internal Span<byte> WritableSpan => _array is null ? default : new Span<byte>(_array, _offset, _length);

    /// <summary>True when the bytes belong to Baton (a pool or a message's own store) and are reused after the message is disposed.</summary>
    internal bool IsPooled => _ownership != FrameOwnership.Caller;

    /// <summary>The same bytes, owned by nobody but the garbage collector: never returned to a pool.</summary>
    internal Frame WithCallerOwnership() => new(_array!, _offset, _length, FrameOwnership.Caller);

    /// <summary>True when the bytes live in the owning message's store.</summary>
    internal bool IsInStore => _ownership == FrameOwnership.Store;

    /// <summary>A frame holding the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static Frame FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? default : new Frame(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>A frame holding a copy of <paramref name="data"/>.</summary>
    public static Frame Copy(ReadOnlySpan<byte> data) => data.IsEmpty ? default : new Frame(data.ToArray());

    /// <summary>A frame with a buffer rented from the shared pool, returned when its message is disposed.</summary>
    internal static Frame Rent(int length)
    {
        if (length == 0)
        {
            return default;
        }

        // Very large frames get an exact array so the pool never hoards them.
        if (length > 1 << 20)
        {
            return new Frame(GC.AllocateUninitializedArray<byte>(length), length, pooled: false);
        }

        return new Frame(ArrayPool<byte>.Shared.Rent(length), length, pooled: true);
    }

    /// <summary>A copy of the frame's bytes in a new array.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>The frame decoded as UTF-8.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Span);

    /// <summary>True when both frames hold the same bytes.</summary>
    public bool Equals(Frame other) => Span.SequenceEqual(other.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Frame other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    /// <summary>Byte-wise equality.</summary>
    public static bool operator ==(Frame left, Frame right) => left.Equals(right);

    /// <summary>Byte-wise inequality.</summary>
    public static bool operator !=(Frame left, Frame right) => !left.Equals(right);

    /// <summary>Wraps an array without copying.</summary>
    public static implicit operator Frame(byte[] data) => new(data);

    /// <summary>Encodes a string as UTF-8.</summary>
    public static implicit operator Frame(string text) => FromString(text);

    internal void ReturnToPool()
    {
        if (_ownership == FrameOwnership.Pool && _array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
