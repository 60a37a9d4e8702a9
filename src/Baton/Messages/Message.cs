using System.Collections;
using System.Diagnostics;
using Baton.Internal;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Baton.Messages;

/// <summary>
/// A ZeroMQ message: one or more frames that travel atomically.
/// </summary>
/// <remarks>
/// <para>Ownership rules, enforced at run time:</para>
/// <list type="bullet">
/// <item>Sending a message hands it, with the buffers of its frames, to the socket. Using it afterwards
/// (reading, changing or sending it again) throws <see cref="ObjectDisposedException"/>; disposing it
/// afterwards does nothing. A send that does not happen (a timeout, a cancelled token, an exception)
/// leaves the message with the caller.</item>
/// <item>A received message belongs to the caller, who should dispose it: that returns the message and
/// its buffers to a pool, so steady traffic allocates nothing. Using it afterwards throws
/// <see cref="ObjectDisposedException"/>. (The pool may hand the same object out again later, as a new
/// message: the check is a safety net, not a licence.)</item>
/// <item>A frame taken out of a message through the public API (the indexer, <see cref="First"/>,
/// <see cref="Last"/>, <see cref="Pop"/>, enumeration) stays valid for ever: it can be kept, put into
/// another message and sent, in any order with the disposal of the first. Its bytes then leave the pool
/// and belong to the garbage collector. Reading a message without taking frames out
/// (<see cref="ToString"/>, <see cref="ToStrings"/>, <see cref="ByteCount"/>) keeps its buffers pooled.</item>
/// <item>A socket refuses a message with no frames (<see cref="ArgumentException"/>).</item>
/// </list>
/// </remarks>
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
    private MessageState _state;

    // Set when a frame living in the store escaped through the public API: the store then goes with it.
    private bool _storeEscaped;

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
        message.AppendFrame(frame);
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
        message._state = MessageState.Live;
        message.Kind = MessageKind.Data;
        return message;
    }

    internal MessageKind Kind { get; set; }

    /// <summary>The number of frames.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public int Count
    {
        get
        {
            ThrowIfNotLive();
            return _count;
        }
    }

    /// <summary>The number of frames, for the library's own use: no ownership check.</summary>
    internal int FrameCount => _count;

    private Span<Frame> Frames => _overflow is null ? _inline : _overflow;

    /// <summary>
    /// The frame at <paramref name="index"/>. The frame stays valid after this message is disposed or
    /// sent (its bytes leave the pool, see the remarks on <see cref="Message"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a frame's.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame this[int index]
    {
        get
        {
            ThrowIfNotLive();
            if ((uint)index >= (uint)_count)
            {
                ThrowHelper.ThrowFrameIndexOutOfRange(index, _count);
            }

            return Escape(ref Frames[index]);
        }
    }

    /// <summary>The frame at <paramref name="index"/> as it is, for the library's own use: no check, and the frame stays pooled.</summary>
    internal Frame FrameAt(int index)
    {
        Debug.Assert((uint)index < (uint)_count);
        return Frames[index];
    }

    /// <summary>The first frame (see the indexer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame First => this[0];

    /// <summary>The last frame (see the indexer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame Last => this[_count - 1];

    /// <summary>The total number of bytes in all frames.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public long ByteCount
    {
        get
        {
            ThrowIfNotLive();
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
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Append(Frame frame)
    {
        ThrowIfNotLive();
        AppendFrame(frame);
        return this;
    }

    /// <summary>Adds a frame at the end, for the library's own use: no check.</summary>
    internal void AppendFrame(Frame frame)
    {
        EnsureCapacity(_count + 1);
        Frames[_count++] = frame;
    }

    /// <summary>Adds a UTF-8 frame at the end.</summary>
    public Message Append(string text) => Append(Frame.FromString(text));

    /// <summary>Adds a frame wrapping <paramref name="data"/> (no copy) at the end.</summary>
    public Message Append(byte[] data) => Append(new Frame(data));

    /// <summary>Adds a zero-length frame at the end.</summary>
    public Message AppendEmpty() => Append(Frame.Empty);

    /// <summary>Inserts a frame at the front, as routing envelopes do.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Push(Frame frame)
    {
        ThrowIfNotLive();
        PushFrame(frame);
        return this;
    }

    /// <summary>Inserts a frame at the front, for the library's own use: no check.</summary>
    internal void PushFrame(Frame frame)
    {
        EnsureCapacity(_count + 1);
        var frames = Frames;
        frames[.._count].CopyTo(frames[1..]);
        frames[0] = frame;
        _count++;
    }

    /// <summary>Removes and returns the first frame, which stays valid (see the indexer).</summary>
    /// <exception cref="InvalidOperationException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame Pop()
    {
        ThrowIfNotLive();
        if (_count == 0)
        {
            throw new InvalidOperationException("The message has no frames.");
        }

        var first = Escape(ref Frames[0]);
        PopFrame();
        return first;
    }

    /// <summary>Removes and returns the first frame as it is, for the library's own use: the caller owns its buffer.</summary>
    internal Frame PopFrame()
    {
        Debug.Assert(_count > 0);
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
            envelope.AppendFrame(envelope.Adopt(frames[i]));
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
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public string[] ToStrings()
    {
        ThrowIfNotLive();
        var result = new string[_count];
        for (var i = 0; i < _count; i++)
        {
            result[i] = Frames[i].ToString();
        }

        return result;
    }

    /// <summary>The frames as UTF-8 text joined by tabs, the form the <c>baton</c> CLI prints.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public override string ToString()
    {
        ThrowIfNotLive();
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

            copy.AppendFrame(frame);
        }

        return copy;
    }

    internal void AddReferences(int count)
    {
        Debug.Assert(count > 0 && Volatile.Read(ref _references) > 0, "Only an owner adds references.");
        Interlocked.Add(ref _references, count);
    }

    /// <summary>True while the message is the caller's to use (not sent, not disposed).</summary>
    internal bool IsLive => _state == MessageState.Live;

    /// <summary>
    /// A socket takes the message: from now on the caller's public calls throw. Internal code goes on
    /// using it through the unchecked members until the last reference is released.
    /// </summary>
    internal void MarkSent()
    {
        ThrowIfNotLive();
        _state = MessageState.Sent;
    }

    /// <summary>A send that did not happen gives the message back to the caller.</summary>
    internal void UnmarkSent()
    {
        Debug.Assert(_state == MessageState.Sent);
        _state = MessageState.Live;
    }

    /// <summary>
    /// The message a receiver gets when this one crosses to another socket as an object (inproc). A sent
    /// message moves its frames into a fresh pooled message, so the sender's reference stays dead and cannot
    /// reach the receiver's message; a message the library made itself travels as it is.
    /// </summary>
    internal Message Handover()
    {
        if (_state == MessageState.Live)
        {
            return this;
        }

        Debug.Assert(Volatile.Read(ref _references) == 1, "A sent message crossing to another socket has one owner.");
        var fresh = Rent();
        fresh.Kind = Kind;
        fresh.EnsureCapacity(_count);
        Frames[.._count].CopyTo(fresh.Frames);
        fresh._count = _count;

        // The store travels with the frames that point into it; the husk keeps the fresh one's, if any.
        (fresh._store, _store) = (_store, fresh._store);
        (fresh._storeUsed, _storeUsed) = (_storeUsed, 0);
        (fresh._storeEscaped, _storeEscaped) = (_storeEscaped, false);
        Frames[.._count].Clear();
        _count = 0;
        Release();
        return fresh;
    }

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
            _state = MessageState.Released;
            ReturnBuffers();
            if (_recyclable)
            {
                _recyclable = false;
                _overflow = null;
                MessagePool.Return(this);
            }
        }
    }

    /// <summary>
    /// Returns the message and its pooled buffers to the pool. Afterwards the message must not be used
    /// (its members throw <see cref="ObjectDisposedException"/>); frames taken out of it stay valid.
    /// Disposing a message that was sent, or disposing twice, does nothing.
    /// </summary>
    public void Dispose()
    {
        if (_state == MessageState.Live)
        {
            Release();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/>, saying why, unless the message is the caller's to use.</summary>
    internal void ThrowIfNotLive()
    {
        if (_state != MessageState.Live)
        {
            ThrowHelper.ThrowMessageNotLive(_state == MessageState.Sent);
        }
    }

    /// <summary>The frame in <paramref name="slot"/>, made safe to outlive this message: its buffer leaves the pool.</summary>
    private Frame Escape(ref Frame slot)
    {
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

    /// <summary>Enumerates the frames (each stays valid, as from the indexer).</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Enumerator GetEnumerator()
    {
        ThrowIfNotLive();
        return new(this);
    }

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
        public readonly Frame Current => _message[_index];

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
