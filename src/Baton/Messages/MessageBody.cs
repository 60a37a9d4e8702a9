using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Baton.Messages;

/// <summary>
/// What a <see cref="Message"/> handle points to: the frames of one message and the buffers they own,
/// pooled with the object. The library moves bodies between sockets, pipes and connections; users only
/// ever hold a <see cref="Message"/>, whose generation must match the body's (see <see cref="Generation"/>).
/// </summary>
[DebuggerDisplay("{FrameCount} frame(s), generation {Generation}")]
internal sealed class MessageBody
{
    /// <summary>Largest store a pooled body keeps; bigger frames rent from the shared array pool.</summary>
    private const int StoreLimit = 4 * 1024;

    // Up to four frames live inside the object, so a typical body is one object, pooled.
    private InlineFrames _inline;
    private Frame[]? _overflow;
    private int _count;
    private int _references = 1;

    // Set when a frame living in the store escaped through the public API: the store then goes with it.
    private bool _storeEscaped;

    // Bodies keep the bytes of small frames in a store of their own, reused with the body, so receiving
    // and sending small messages never touch a shared array pool.
    private byte[]? _store;
    private int _storeUsed;

    private MessageBody()
    {
    }

    /// <summary>
    /// Bumped whenever the body stops being what a user's handle refers to: when it is sent, disposed or
    /// released to the pool. A handle whose generation differs is stale, and its members throw.
    /// </summary>
    public int Generation;

    internal MessageKind Kind { get; set; }

    /// <summary>The properties of the connection that delivered this message; null for one made here or come over inproc from one made here.</summary>
    public MessageProperties? Properties;

    /// <summary>The number of frames.</summary>
    public int FrameCount => _count;

    private Span<Frame> Frames => _overflow is null ? _inline : _overflow;

    /// <summary>An empty body from the pool; it goes back when its last reference is released.</summary>
    public static MessageBody Rent()
    {
        if (!MessagePool.TryTake(out var body))
        {
            body = new MessageBody();
        }

        Debug.Assert(body._count == 0 && body._storeUsed == 0);
        body._references = 1;
        body.Kind = MessageKind.Data;
        return body;
    }

    /// <summary>A body with one frame holding a copy of <paramref name="data"/>.</summary>
    public static MessageBody Copy(ReadOnlySpan<byte> data)
    {
        var body = Rent();
        var frame = body.Allocate(data.Length);
        data.CopyTo(frame.WritableSpan);
        body.AppendFrame(frame);
        return body;
    }

    /// <summary>A body with one UTF-8 frame per string, encoded into its own pooled storage.</summary>
    /// <exception cref="ArgumentNullException">One of the strings is null (checked before anything is rented).</exception>
    public static MessageBody OfStrings(ReadOnlySpan<string> frames, string parameterName)
    {
        foreach (var text in frames)
        {
            ArgumentNullException.ThrowIfNull(text, parameterName);
        }

        var body = Rent();
        foreach (var text in frames)
        {
            body.AppendFrame(body.Allocate(text));
        }

        return body;
    }

    /// <summary>A body of one frame, as it is.</summary>
    public static MessageBody Of(Frame frame, MessageKind kind = MessageKind.Data)
    {
        var body = Rent();
        body.Kind = kind;
        body.AppendFrame(frame);
        return body;
    }

    /// <summary>A frame of <paramref name="length"/> bytes to fill, from this body's store when it fits, else from the array pool.</summary>
    public Frame Allocate(int length)
    {
        if (length == 0)
        {
            return default;
        }

        if (length > StoreLimit)
        {
            return Frame.Rent(length);
        }

        if (_store is null || _store.Length - _storeUsed < length)
        {
            if (_store is { Length: StoreLimit })
            {
                return Frame.Rent(length);
            }

            // Grow to fit the message so far; the store then stays with the pooled body. Frames already
            // made keep pointing into the old store, which the garbage collector keeps alive for them.
            _store = new byte[Math.Min(StoreLimit, Math.Max(256, (int)BitOperations.RoundUpToPowerOf2((uint)(_storeUsed + length))))];
            _storeUsed = 0;
        }

        var frame = new Frame(_store, _storeUsed, length, FrameOwnership.Store);
        _storeUsed += length;
        return frame;
    }

    /// <summary>A frame holding <paramref name="text"/> as UTF-8, in this body's store when it fits.</summary>
    public Frame Allocate(string text)
    {
        var frame = Allocate(Encoding.UTF8.GetByteCount(text));
        Encoding.UTF8.GetBytes(text, frame.WritableSpan);
        return frame;
    }

    /// <summary>The frame at <paramref name="index"/> as it is: it stays pooled.</summary>
    public Frame FrameAt(int index)
    {
        Debug.Assert((uint)index < (uint)_count);
        return Frames[index];
    }

    /// <summary>The frame at <paramref name="index"/>, made safe to outlive this body: its buffer leaves the pool for good.</summary>
    public Frame Escape(int index)
    {
        Debug.Assert((uint)index < (uint)_count);
        ref var slot = ref Frames[index];
        if (slot.IsPooled)
        {
            if (slot.IsInStore)
            {
                _storeEscaped = true;
            }

            slot = slot.WithCallerOwnership();
        }

        return slot;
    }

    public long ByteCount
    {
        get
        {
            long total = 0;
            foreach (ref readonly var frame in Frames[.._count])
            {
                total += frame.Length;
            }

            return total;
        }
    }

    public void AppendFrame(Frame frame)
    {
        EnsureCapacity(_count + 1);
        Frames[_count++] = frame;
    }

    /// <summary>Inserts a frame at the front, as routing envelopes do.</summary>
    public void PushFrame(Frame frame)
    {
        EnsureCapacity(_count + 1);
        var frames = Frames;
        frames[.._count].CopyTo(frames[1..]);
        frames[0] = frame;
        _count++;
    }

    /// <summary>Removes and returns the first frame as it is: the caller owns its buffer.</summary>
    public Frame PopFrame()
    {
        Debug.Assert(_count > 0);
        var frames = Frames;
        var first = frames[0];
        _count--;
        frames[1..(_count + 1)].CopyTo(frames);
        frames[_count] = default;
        return first;
    }

    /// <summary>Removes the first <paramref name="count"/> frames and returns them as a new body.</summary>
    public MessageBody PopEnvelope(int count)
    {
        var envelope = Rent();
        var frames = Frames;
        for (var i = 0; i < count; i++)
        {
            envelope.AppendFrame(envelope.Adopt(frames[i]));
        }

        _count -= count;
        frames[count..(count + _count)].CopyTo(frames);
        frames.Slice(_count, count).Clear();
        return envelope;
    }

    /// <summary>Moves the frames of <paramref name="envelope"/> in front of this body's frames and recycles the envelope.</summary>
    public void PushEnvelope(MessageBody envelope)
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

        // The frames now belong to this body: the envelope goes back empty.
        envelope.Frames[..added].Clear();
        envelope._count = 0;
        envelope.Release();
    }

    /// <summary>A frame to keep in this body: one living in another body's store is copied, since that store is reused.</summary>
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

    /// <summary>A copy whose pooled frames are copied and whose caller-owned frames are shared.</summary>
    public MessageBody CloneForFanOut()
    {
        var copy = Rent();
        copy.Kind = Kind;
        copy.Properties = Properties;
        for (var i = 0; i < _count; i++)
        {
            var frame = Frames[i];
            if (frame.IsPooled)
            {
                var owned = copy.Allocate(frame.Length);
                frame.Span.CopyTo(owned.WritableSpan);
                frame = owned;
            }

            copy.AppendFrame(frame);
        }

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

    /// <summary>The frames as UTF-8 text joined by tabs.</summary>
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

    public void AddReferences(int count)
    {
        Debug.Assert(count > 0 && Volatile.Read(ref _references) > 0, "Only an owner adds references.");
        Interlocked.Add(ref _references, count);
    }

    /// <summary>Drops one reference; the last one returns the pooled buffers and the body to the pool.</summary>
    public void Release()
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
            Generation++;
            Properties = null;
            ReturnBuffers();
            _overflow = null;
            MessagePool.Return(this);
        }
    }

    private void ReturnBuffers()
    {
        foreach (ref var frame in Frames[.._count])
        {
            frame.ReturnToPool();
            frame = default;
        }

        _count = 0;
        _storeUsed = 0;
        if (_storeEscaped)
        {
            // Frames that escaped still point into the store: it is theirs now, the next message gets a new one.
            _store = null;
            _storeEscaped = false;
        }
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

    [InlineArray(Length)]
    private struct InlineFrames
    {
        public const int Length = 4;
        private Frame _first;
    }
}
