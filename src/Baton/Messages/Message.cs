using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Baton.Messages;

/// <summary>
/// A ZeroMQ message: one or more frames that travel atomically. Sending a message hands it, and the
/// buffers of its frames, to the socket; a received message belongs to the caller, who should dispose
/// it to return its pooled buffers, and the message object itself, for reuse. A disposed message must
/// not be used again: its frames may already belong to another message.
/// </summary>
public sealed class Message : IReadOnlyList<Frame>, IDisposable
{
    // Up to four frames live inside the object, so a typical message is one allocation, and none once pooled.
    private InlineFrames _inline;
    private Frame[]? _overflow;
    private int _count;
    /// <summary>Largest store a pooled message keeps; bigger frames rent from the shared array pool.</summary>
    private const int StoreLimit = 4 * 1024;

    private int _references = 1;
    private bool _recyclable;

    // Pooled messages keep the bytes of small frames in a store of their own, reused with the message,
    // so receiving and sending small messages never touch a shared array pool.
    private byte[]? _store;
    private int _storeUsed;

    /// <summary>An empty message; add frames with <see cref="Append(Frame)"/>.</summary>
    public Message()
    {
    }

    /// <summary>A message made of the given frames.</summary>
    public Message(params ReadOnlySpan<Frame> frames)
    {
        EnsureCapacity(frames.Length);
        frames.CopyTo(Frames);
        _count = frames.Length;
    }

    /// <summary>A message with one UTF-8 frame per string.</summary>
    public Message(params ReadOnlySpan<string> frames)
    {
        EnsureCapacity(frames.Length);
        foreach (var text in frames)
        {
            Append(Frame.FromString(text));
        }
    }

    /// <summary>
    /// A message with one frame holding a copy of <paramref name="data"/>, taken from a pool together with
    /// its buffer: sending it, or disposing it, gives both back, so steady traffic allocates nothing.
    /// </summary>
    public static Message Copy(ReadOnlySpan<byte> data)
    {
        var message = Rent();
        var frame = message.Allocate(data.Length);
        data.CopyTo(frame.WritableSpan);
        message.Append(frame);
        return message;
    }

    /// <summary>A frame of <paramref name="length"/> bytes to fill, from this message's store when it fits, else from the array pool.</summary>
    internal Frame Allocate(int length)
    {
        if (length == 0)
        {
            return default;
        }

        if (!_recyclable || length > StoreLimit)
        {
            return Frame.Rent(length);
        }

        if (_store is null || _store.Length - _storeUsed < length)
        {
            if (_store is { Length: StoreLimit })
            {
                return Frame.Rent(length);
            }

            // Grow to fit the message so far; the store then stays with the pooled message. Frames already
            // handed out keep pointing into the old store, which the garbage collector keeps alive for them.
            _store = new byte[Math.Min(StoreLimit, Math.Max(256, (int)BitOperations.RoundUpToPowerOf2((uint)(_storeUsed + length))))];
            _storeUsed = 0;
        }

        var frame = new Frame(_store, _storeUsed, length, FrameOwnership.Store);
        _storeUsed += length;
        return frame;
    }

    /// <summary>An empty message from the pool; it goes back to the pool when its last reference is released.</summary>
    internal static Message Rent()
    {
        if (!MessagePool.TryTake(out var message))
        {
            message = new Message();
        }

        message._references = 1;
        message._recyclable = true;
        message.Kind = MessageKind.Data;
        return message;
    }

    internal MessageKind Kind { get; set; }

    /// <summary>The number of frames.</summary>
    public int Count => _count;

    private Span<Frame> Frames => _overflow is null ? _inline : _overflow;

    /// <summary>The frame at <paramref name="index"/>.</summary>
    public Frame this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The message has {_count} frame(s).");
            }

            return Frames[index];
        }
    }

    /// <summary>The first frame.</summary>
    public Frame First => this[0];

    /// <summary>The last frame.</summary>
    public Frame Last => this[_count - 1];

    /// <summary>The total number of bytes in all frames.</summary>
    public long ByteCount
    {
        get
        {
            long total = 0;
            var frames = Frames[.._count];
            foreach (ref readonly var frame in frames)
            {
                total += frame.Length;
            }

            return total;
        }
    }

    /// <summary>Adds a frame at the end.</summary>
    public Message Append(Frame frame)
    {
        EnsureCapacity(_count + 1);
        Frames[_count++] = frame;
        return this;
    }

    /// <summary>Adds a UTF-8 frame at the end.</summary>
    public Message Append(string text) => Append(Frame.FromString(text));

    /// <summary>Adds a frame wrapping <paramref name="data"/> (no copy) at the end.</summary>
    public Message Append(byte[] data) => Append(new Frame(data));

    /// <summary>Adds a zero-length frame at the end.</summary>
    public Message AppendEmpty() => Append(Frame.Empty);

    /// <summary>Inserts a frame at the front, as routing envelopes do.</summary>
    public Message Push(Frame frame)
    {
        EnsureCapacity(_count + 1);
        var frames = Frames;
        frames[.._count].CopyTo(frames[1..]);
        frames[0] = frame;
        _count++;
        return this;
    }

    /// <summary>Removes and returns the first frame.</summary>
    public Frame Pop()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("The message has no frames.");
        }

        var frames = Frames;
        var first = frames[0];
        _count--;
        frames[1..(_count + 1)].CopyTo(frames);
        frames[_count] = default;
        return first;
    }

    /// <summary>Removes the first <paramref name="count"/> frames and returns them as a new (pooled) message.</summary>
    internal Message PopEnvelope(int count)
    {
        var envelope = Rent();
        var frames = Frames;
        for (var i = 0; i < count; i++)
        {
            envelope.Append(envelope.Adopt(frames[i]));
        }

        _count -= count;
        frames[count..(count + _count)].CopyTo(frames);
        frames.Slice(_count, count).Clear();
        return envelope;
    }

    /// <summary>Moves the frames of <paramref name="envelope"/> in front of this message's frames and recycles the envelope.</summary>
    internal void PushEnvelope(Message envelope)
    {
        var added = envelope._count;
        EnsureCapacity(_count + added);
        var frames = Frames;
        frames[.._count].CopyTo(frames[added..]);
        var moved = envelope.Frames[..added];
        for (var i = 0; i < added; i++)
        {
            frames[i] = Adopt(moved[i]);
        }

        _count += added;

        // The frames now belong to this message: the envelope goes back empty.
        envelope.Frames[..added].Clear();
        envelope._count = 0;
        envelope.Release();
    }

    /// <summary>A frame to keep in this message: one living in another message's store is copied, since that store is reused.</summary>
    private Frame Adopt(Frame frame)
    {
        if (!frame.IsInStore)
        {
            return frame;
        }

        var copy = Allocate(frame.Length);
        frame.Span.CopyTo(copy.WritableSpan);
        return copy;
    }

    /// <summary>Each frame decoded as UTF-8.</summary>
    public string[] ToStrings()
    {
        var result = new string[_count];
        for (var i = 0; i < _count; i++)
        {
            result[i] = Frames[i].ToString();
        }

        return result;
    }

    /// <summary>The frames as UTF-8 text joined by tabs, the form the <c>baton</c> CLI prints.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        for (var i = 0; i < _count; i++)
        {
            if (i > 0)
            {
                builder.Append('\t');
            }

            builder.Append(Frames[i].ToString());
        }

        return builder.ToString();
    }

    /// <summary>A copy whose pooled frames are copied and whose other frames are shared.</summary>
    internal Message CloneForFanOut()
    {
        var copy = Rent();
        copy.Kind = Kind;
        for (var i = 0; i < _count; i++)
        {
            var frame = Frames[i];
            if (frame.IsPooled)
            {
                var owned = copy.Allocate(frame.Length);
                frame.Span.CopyTo(owned.WritableSpan);
                frame = owned;
            }

            copy.Append(frame);
        }

        return copy;
    }

    internal void AddReferences(int count) => Interlocked.Add(ref _references, count);

    /// <summary>Drops one reference; the last one returns the pooled buffers (and a pooled message to its pool).</summary>
    internal void Release()
    {
        // One owner, the usual case, needs no atomic: only an owner adds references, so nobody can race us.
        bool last;
        if (Volatile.Read(ref _references) == 1)
        {
            _references = 0;
            last = true;
        }
        else
        {
            last = Interlocked.Decrement(ref _references) == 0;
        }

        if (last)
        {
            ReturnBuffers();
            if (_recyclable)
            {
                _recyclable = false;
                _overflow = null;
                MessagePool.Return(this);
            }
        }
    }

    /// <summary>Returns pooled buffers to the pool; the message must not be used afterwards.</summary>
    public void Dispose() => Release();

    private void ReturnBuffers()
    {
        var frames = Frames[.._count];
        foreach (ref var frame in frames)
        {
            frame.ReturnToPool();
            frame = default;
        }

        _count = 0;
        _storeUsed = 0;
    }

    private void EnsureCapacity(int needed)
    {
        var capacity = _overflow?.Length ?? InlineFrames.Length;
        if (needed <= capacity)
        {
            return;
        }

        var grown = new Frame[Math.Max(needed, capacity * 2)];
        Frames[.._count].CopyTo(grown);
        if (_overflow is null)
        {
            ((Span<Frame>)_inline).Clear();
        }

        _overflow = grown;
    }

    /// <summary>Enumerates the frames.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<Frame> IEnumerable<Frame>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>An allocation-free enumerator over a message's frames.</summary>
    public struct Enumerator : IEnumerator<Frame>
    {
        private readonly Message _message;
        private int _index;

        internal Enumerator(Message message)
        {
            _message = message;
            _index = -1;
        }

        /// <inheritdoc />
        public readonly Frame Current => _message.Frames[_index];

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext() => ++_index < _message._count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }

    [InlineArray(Length)]
    private struct InlineFrames
    {
        public const int Length = 4;
        private Frame _first;
    }
}
