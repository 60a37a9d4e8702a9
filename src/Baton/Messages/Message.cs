using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Baton.Internal;

namespace Baton.Messages;

/// <summary>
/// A ZeroMQ message: one or more frames that travel atomically.
/// </summary>
/// <remarks>
/// <para>A <see cref="Message"/> is a small handle to pooled storage, so creating, sending, receiving
/// and disposing messages allocates nothing in steady state. The ownership rules are enforced at run
/// time, through the handle:</para>
/// <list type="bullet">
/// <item>Sending a message hands it, with the buffers of its frames, to the socket. Using it afterwards
/// (reading, changing or sending it again, through this or any copy of the handle) throws
/// <see cref="ObjectDisposedException"/>; disposing it afterwards does nothing. A send that does not
/// happen (a timeout, a cancelled token, an exception) leaves the message with the caller.</item>
/// <item>A received message belongs to the caller, who should dispose it: that returns its storage to the
/// pool. Using it afterwards throws <see cref="ObjectDisposedException"/>, and disposing it again does
/// nothing, even once the pool has reused the storage for another message.</item>
/// <item>A frame taken out of a message through the indexer, <see cref="First"/>, <see cref="Last"/>,
/// <see cref="Pop"/> or enumeration stays valid for ever: it can be kept, put into another message and
/// sent, in any order with the disposal of the first message. Its bytes then leave the pool and belong
/// to the garbage collector. <see cref="GetSpan"/>, <see cref="ToString"/>, <see cref="ToStrings"/> and
/// <see cref="ByteCount"/> read a message without taking frames out, and keep its buffers pooled.</item>
/// <item>A socket refuses a message with no frames (<see cref="ArgumentException"/>).</item>
/// <item><c>default(Message)</c> is no message: its members throw. Use <c>new Message()</c>.</item>
/// </list>
/// </remarks>
public readonly struct Message : IReadOnlyList<Frame>, IDisposable
{
    private readonly MessageBody? _body;
    private readonly int _generation;

    /// <summary>An empty message; add frames with <see cref="Append(Frame)"/>.</summary>
    public Message()
        : this(MessageBody.Rent())
    {
    }

    /// <summary>A message made of the given frames (the frames' bytes are not copied).</summary>
    public Message(params ReadOnlySpan<Frame> frames)
        : this(MessageBody.Rent())
    {
        foreach (var frame in frames)
        {
            _body!.AppendFrame(frame);
        }
    }

    /// <summary>A message with one UTF-8 frame per string, encoded into pooled storage.</summary>
    public Message(params ReadOnlySpan<string> frames)
        : this(MessageBody.OfStrings(frames, nameof(frames)))
    {
    }

    /// <summary>A handle to <paramref name="body"/> as it is now.</summary>
    internal Message(MessageBody body)
    {
        _body = body;
        _generation = body.Generation;
    }

    /// <summary>A message with one frame holding a copy of <paramref name="data"/>, in pooled storage.</summary>
    public static Message Copy(ReadOnlySpan<byte> data) => new(MessageBody.Copy(data));

    /// <summary>The number of frames.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public int Count => Body.FrameCount;

    /// <summary>
    /// The frame at <paramref name="index"/>. The frame stays valid after this message is disposed or
    /// sent (its bytes leave the pool; see the remarks on <see cref="Message"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a frame's.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame this[int index]
    {
        get
        {
            var body = Body;
            if ((uint)index >= (uint)body.FrameCount)
            {
                ThrowHelper.ThrowFrameIndexOutOfRange(index, body.FrameCount);
            }

            return body.Escape(index);
        }
    }

    /// <summary>The first frame (see the indexer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame First => this[0];

    /// <summary>The last frame (see the indexer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame Last => this[Count - 1];

    /// <summary>
    /// The bytes of the frame at <paramref name="index"/>, read in place: nothing leaves the pool. The
    /// span is valid until the message is sent or disposed (a span cannot be kept on the heap or across
    /// an await, which keeps it short-lived); take the frame through the indexer to keep it longer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a frame's.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public ReadOnlySpan<byte> GetSpan(int index)
    {
        var body = Body;
        if ((uint)index >= (uint)body.FrameCount)
        {
            ThrowHelper.ThrowFrameIndexOutOfRange(index, body.FrameCount);
        }

        return body.FrameAt(index).Span;
    }

    /// <summary>
    /// The User-Id the ZAP authenticator gave the peer that sent this message (libzmq's
    /// <c>zmq_msg_gets(msg, "User-Id")</c>): with <c>Baton.Security.ZapAuthenticator</c>, the PLAIN user name or
    /// the CURVE client's Z85 public key. Null when no authenticator judged the peer (none was bound, a NULL
    /// socket without a ZAP domain), and for a message made in this process.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public string? UserId => Body.Properties?.UserId;

    /// <summary>
    /// A property of the connection this message came through (libzmq's <c>zmq_msg_gets</c>), or null:
    /// "Peer-Address" (the peer's IP address, tcp only), "User-Id" and any metadata the ZAP authenticator
    /// returned, and the metadata the peer sent in its handshake, such as "Socket-Type" and "Identity".
    /// Names compare case-insensitively; values are UTF-8 text. A message made in this process has none.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public string? GetProperty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Body.Properties?.Get(name);
    }

    /// <summary>The total number of bytes in all frames.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public long ByteCount => Body.ByteCount;

    /// <summary>Adds a frame at the end (its bytes are not copied).</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Append(Frame frame)
    {
        Body.AppendFrame(frame);
        return this;
    }

    /// <summary>Adds a UTF-8 frame at the end, encoded into pooled storage.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = Body;
        body.AppendFrame(body.Allocate(text));
        return this;
    }

    /// <summary>Adds a frame wrapping <paramref name="data"/> (no copy) at the end.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Append(byte[] data) => Append(new Frame(data));

    /// <summary>Adds a zero-length frame at the end.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message AppendEmpty() => Append(Frame.Empty);

    /// <summary>Inserts a frame at the front, as routing envelopes do.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Message Push(Frame frame)
    {
        Body.PushFrame(frame);
        return this;
    }

    /// <summary>Removes and returns the first frame, which stays valid (see the indexer).</summary>
    /// <exception cref="InvalidOperationException">The message has no frames.</exception>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Frame Pop()
    {
        var body = Body;
        if (body.FrameCount == 0)
        {
            throw new InvalidOperationException("The message has no frames.");
        }

        var first = body.Escape(0);
        body.PopFrame();
        return first;
    }

    /// <summary>Each frame decoded as UTF-8.</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public string[] ToStrings() => Body.ToStrings();

    /// <summary>
    /// The frames as UTF-8 text joined by tabs, the form the <c>baton</c> CLI prints. Unlike the other
    /// members it never throws (as .NET asks of ToString): a sent or disposed message reads
    /// "(sent or disposed)", <c>default(Message)</c> reads "(no message)".
    /// </summary>
    public override string ToString()
        => _body is null ? "(no message)" : _body.Generation != _generation ? "(sent or disposed)" : _body.ToString();

    /// <summary>
    /// Returns the message's storage to the pool. Afterwards the message must not be used (its members
    /// throw <see cref="ObjectDisposedException"/>); frames taken out of it stay valid. Disposing a
    /// message that was sent, disposing twice, or disposing <c>default(Message)</c> does nothing.
    /// </summary>
    public void Dispose()
    {
        var body = _body;
        if (body is not null && body.Generation == _generation)
        {
            body.Generation++;
            body.Release();
        }
    }

    /// <summary>Enumerates the frames (each stays valid, as from the indexer).</summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    public Enumerator GetEnumerator()
    {
        _ = Body;
        return new(this);
    }

    IEnumerator<Frame> IEnumerable<Frame>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True for <c>default(Message)</c>, which refers to nothing.</summary>
    internal bool IsDefault => _body is null;

    /// <summary>The body behind a live handle; throws, saying why, for any other.</summary>
    internal MessageBody Body
    {
        get
        {
            var body = _body;
            if (body is null || body.Generation != _generation)
            {
                ThrowHelper.ThrowMessageNotLive(body is null);
            }

            return body;
        }
    }

    /// <summary>
    /// A socket takes the message: every handle to it dies, and the socket goes on with the body. A send
    /// that does not happen gives it back with <see cref="Restore"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The message was sent or disposed.</exception>
    /// <exception cref="ArgumentException">The message has no frames.</exception>
    internal MessageBody TakeForSend(string paramName)
    {
        var body = Body;
        if (body.FrameCount == 0)
        {
            ThrowHelper.ThrowEmptyMessage(paramName);
        }

        body.Generation++;
        return body;
    }

    /// <summary>Makes the handle live again after a send that did not happen.</summary>
    internal void Restore(MessageBody body)
    {
        System.Diagnostics.Debug.Assert(ReferenceEquals(body, _body) && body.Generation == _generation + 1);
        body.Generation = _generation;
    }

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
        public bool MoveNext() => ++_index < _message.Count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }
}
