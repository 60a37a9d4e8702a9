using System.Collections;
using System.Text;

namespace Baton.Messages;

/// <summary>
/// A ZeroMQ message: one or more frames that travel atomically. Sending a message hands it, and the
/// buffers of its frames, to the socket; a received message belongs to the caller, who may dispose
/// it to return its pooled buffers early.
/// </summary>
public sealed class Message : IReadOnlyList<Frame>, IDisposable
{
    private Frame[] _frames;
    private int _count;
    private int _references = 1;

    /// <summary>An empty message; add frames with <see cref="Append(Frame)"/>.</summary>
    public Message()
    {
        _frames = new Frame[4];
    }

    /// <summary>A message made of the given frames.</summary>
    public Message(params ReadOnlySpan<Frame> frames)
    {
        _frames = new Frame[Math.Max(4, frames.Length)];
        frames.CopyTo(_frames);
        _count = frames.Length;
    }

    /// <summary>A message with one UTF-8 frame per string.</summary>
    public Message(params ReadOnlySpan<string> frames)
    {
        _frames = new Frame[Math.Max(4, frames.Length)];
        foreach (var text in frames)
        {
            Append(Frame.FromString(text));
        }
    }

    internal MessageKind Kind { get; set; }

    /// <summary>The number of frames.</summary>
    public int Count => _count;

    /// <summary>The frame at <paramref name="index"/>.</summary>
    public Frame this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The message has {_count} frame(s).");
            }

            return _frames[index];
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
            for (var i = 0; i < _count; i++)
            {
                total += _frames[i].Length;
            }

            return total;
        }
    }

    /// <summary>Adds a frame at the end.</summary>
    public Message Append(Frame frame)
    {
        if (_count == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        _frames[_count++] = frame;
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
        if (_count == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        Array.Copy(_frames, 0, _frames, 1, _count);
        _frames[0] = frame;
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

        var first = _frames[0];
        _count--;
        Array.Copy(_frames, 1, _frames, 0, _count);
        _frames[_count] = default;
        return first;
    }

    /// <summary>Removes the first <paramref name="count"/> frames and returns them as a new message.</summary>
    internal Message PopEnvelope(int count)
    {
        var envelope = new Message();
        for (var i = 0; i < count; i++)
        {
            envelope.Append(_frames[i]);
        }

        _count -= count;
        Array.Copy(_frames, count, _frames, 0, _count);
        Array.Clear(_frames, _count, count);
        return envelope;
    }

    /// <summary>Inserts the frames of <paramref name="envelope"/> in front of this message's frames.</summary>
    internal void PushEnvelope(Message envelope)
    {
        var needed = _count + envelope._count;
        if (needed > _frames.Length)
        {
            Array.Resize(ref _frames, Math.Max(needed, _frames.Length * 2));
        }

        Array.Copy(_frames, 0, _frames, envelope._count, _count);
        Array.Copy(envelope._frames, 0, _frames, 0, envelope._count);
        _count = needed;
    }

    /// <summary>Each frame decoded as UTF-8.</summary>
    public string[] ToStrings()
    {
        var result = new string[_count];
        for (var i = 0; i < _count; i++)
        {
            result[i] = _frames[i].ToString();
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

            builder.Append(_frames[i].ToString());
        }

        return builder.ToString();
    }

    /// <summary>A copy whose pooled frames are copied and whose other frames are shared.</summary>
    internal Message CloneForFanOut()
    {
        var copy = new Message { Kind = Kind };
        for (var i = 0; i < _count; i++)
        {
            var frame = _frames[i];
            copy.Append(frame.IsPooled ? Frame.Copy(frame.Span) : frame);
        }

        return copy;
    }

    internal void AddReferences(int count) => Interlocked.Add(ref _references, count);

    /// <summary>Drops one reference; the last one returns the pooled buffers.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            ReturnBuffers();
        }
    }

    /// <summary>Returns pooled buffers to the pool; the message must not be used afterwards.</summary>
    public void Dispose() => Release();

    private void ReturnBuffers()
    {
        for (var i = 0; i < _count; i++)
        {
            _frames[i].ReturnToPool();
            _frames[i] = default;
        }

        _count = 0;
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
        public readonly Frame Current => _message._frames[_index];

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
}
