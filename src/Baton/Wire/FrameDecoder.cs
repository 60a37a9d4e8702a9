using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Baton.Wire;

/// <summary>
/// Splits bytes into ZMTP frames (RFC 37 "Framing") and enforces the per-message limits, knowing
/// nothing of sockets, connections or streams.
/// </summary>
/// <remarks>
/// It works like a System.IO.Pipelines parser: <see cref="Decode"/> looks at the start of the bytes
/// not consumed yet and either reports a whole frame (the caller consumes header and body), the
/// header of a large frame (the caller consumes the header and gathers the body itself), or that
/// more bytes are needed (the caller keeps them and calls again once more arrived). It never consumes
/// part of a frame, so any split of the input gives the same frames. What spans reads is the message
/// in progress: its size and frame count, checked against the limits as each header arrives, so a
/// peer is refused before it has sent the bytes it announces.
/// </remarks>
internal struct FrameDecoder
{
    private readonly long _maxMessageSize;
    private readonly int _maxFrames;
    private readonly int _maxCommandSize;
    private readonly int _largeFrameSize;
    private long _messageBytes;
    private int _messageFrames;

    // Set once a transforming mechanism's handshake is done: see BeginTransformed.
    private bool _transformed;
    private int _transformOverhead;

    /// <param name="maxMessageSize">Largest message in bytes, -1 for no limit.</param>
    /// <param name="maxFrames">Most frames in a message, -1 for no limit.</param>
    /// <param name="maxCommandSize">Largest command body accepted.</param>
    /// <param name="largeFrameSize">Frames above this size that are not whole are reported as <see cref="FrameStatus.LargeFrame"/>.</param>
    public FrameDecoder(long maxMessageSize, int maxFrames, int maxCommandSize, int largeFrameSize)
    {
        _maxMessageSize = maxMessageSize;
        _maxFrames = maxFrames;
        _maxCommandSize = maxCommandSize;
        _largeFrameSize = largeFrameSize;
    }

    /// <summary>
    /// From now on frames come transformed by the mechanism (CURVE's MESSAGE boxes): MORE and COMMAND are
    /// known only once a frame is decoded, so message limits are checked by <see cref="OnDecoded"/> on the
    /// decoded frame. On the header only a bound is checked: a frame's decoded body is at least its size
    /// less <paramref name="overhead"/>, so a frame too large even then is refused before it is read.
    /// Command-flagged frames are sized as data frames (a mechanism may box a message in a command frame).
    /// </summary>
    public void BeginTransformed(int overhead)
    {
        _transformed = true;
        _transformOverhead = overhead;
        _messageBytes = 0;
        _messageFrames = 0;
    }

    /// <summary>
    /// Accounts a frame decoded by the mechanism (after <see cref="BeginTransformed"/>), enforcing the
    /// message limits on its real size and flags; throws <see cref="PeerException"/> when over a limit.
    /// </summary>
    public void OnDecoded(byte flags, int size)
    {
        if ((flags & Zmtp.FlagCommand) != 0)
        {
            // A command inside a box (CURVE's COMMAND flag) follows the rule of a command frame: no MORE.
            if ((flags & Zmtp.FlagMore) != 0)
            {
                ProtocolThrow.CommandWithMore();
            }

            return;
        }

        if (_maxMessageSize >= 0 && size + _messageBytes > _maxMessageSize)
        {
            ProtocolThrow.MessageTooLarge(_maxMessageSize, (ulong)size);
        }

        if (_maxFrames >= 0 && _messageFrames >= _maxFrames)
        {
            ProtocolThrow.TooManyFrames(_maxFrames);
        }

        if ((flags & Zmtp.FlagMore) != 0)
        {
            _messageBytes += size;
            _messageFrames++;
        }
        else
        {
            _messageBytes = 0;
            _messageFrames = 0;
        }
    }

    /// <summary>True between the first frame of a message and its last.</summary>
    public readonly bool InMessage => _messageFrames > 0;

    /// <summary>Decodes the frame at the start of <paramref name="input"/>; throws <see cref="PeerException"/> on a malformed or over-limit frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FrameStatus Decode(ReadOnlySpan<byte> input, out FrameHeader header)
    {
        header = default;
        if (input.Length < 2)
        {
            return FrameStatus.NeedMore;
        }

        var flags = input[0];
        if ((flags & Zmtp.ReservedFlags) != 0)
        {
            ProtocolThrow.ReservedFlags(flags);
        }

        ulong size;
        int headerLength;
        if ((flags & Zmtp.FlagLong) == 0)
        {
            size = input[1];
            headerLength = 2;
        }
        else
        {
            if (input.Length < Zmtp.MaxHeaderSize)
            {
                return FrameStatus.NeedMore;
            }

            size = BinaryPrimitives.ReadUInt64BigEndian(input.Slice(1, 8));
            headerLength = Zmtp.MaxHeaderSize;
        }

        if (_transformed)
        {
            return DecodeTransformed(input, flags, size, headerLength, out header);
        }

        if ((flags & Zmtp.FlagCommand) != 0)
        {
            return DecodeCommand(input, flags, size, headerLength, out header);
        }

        // Limits are checked on the header, before the body: an announced size costs nothing yet.
        if (size > int.MaxValue - 64 || (_maxMessageSize >= 0 && (long)size + _messageBytes > _maxMessageSize))
        {
            ProtocolThrow.MessageTooLarge(_maxMessageSize, size);
        }

        if (_maxFrames >= 0 && _messageFrames >= _maxFrames)
        {
            ProtocolThrow.TooManyFrames(_maxFrames);
        }

        var frameSize = (int)size;
        FrameStatus status;
        if (input.Length - headerLength >= frameSize)
        {
            status = FrameStatus.Frame;
        }
        else if (frameSize > _largeFrameSize)
        {
            status = FrameStatus.LargeFrame;
        }
        else
        {
            return FrameStatus.NeedMore;
        }

        header = new FrameHeader(flags, frameSize, headerLength);
        if ((flags & Zmtp.FlagMore) != 0)
        {
            _messageBytes += frameSize;
            _messageFrames++;
        }
        else
        {
            _messageBytes = 0;
            _messageFrames = 0;
        }

        return status;
    }

    private readonly FrameStatus DecodeTransformed(ReadOnlySpan<byte> input, byte flags, ulong size, int headerLength, out FrameHeader header)
    {
        header = default;
        if ((flags & (Zmtp.FlagCommand | Zmtp.FlagMore)) == (Zmtp.FlagCommand | Zmtp.FlagMore))
        {
            ProtocolThrow.CommandWithMore();
        }

        // The decoded body is at least this: what could never fit the limits is refused before it is read.
        var least = size > (ulong)_transformOverhead ? size - (ulong)_transformOverhead : 0;
        if (size > int.MaxValue - 64 || (_maxMessageSize >= 0 && (long)least + _messageBytes > _maxMessageSize))
        {
            ProtocolThrow.MessageTooLarge(_maxMessageSize, least);
        }

        if (_maxFrames >= 0 && _messageFrames >= _maxFrames)
        {
            ProtocolThrow.TooManyFrames(_maxFrames);
        }

        var frameSize = (int)size;
        if (input.Length - headerLength >= frameSize)
        {
            header = new FrameHeader(flags, frameSize, headerLength);
            return FrameStatus.Frame;
        }

        if (frameSize > _largeFrameSize)
        {
            header = new FrameHeader(flags, frameSize, headerLength);
            return FrameStatus.LargeFrame;
        }

        return FrameStatus.NeedMore;
    }

    private readonly FrameStatus DecodeCommand(ReadOnlySpan<byte> input, byte flags, ulong size, int headerLength, out FrameHeader header)
    {
        header = default;
        if ((flags & Zmtp.FlagMore) != 0)
        {
            ProtocolThrow.CommandWithMore();
        }

        if (size > (ulong)_maxCommandSize)
        {
            ProtocolThrow.CommandTooLarge(size);
        }

        if ((ulong)(input.Length - headerLength) < size)
        {
            return FrameStatus.NeedMore;
        }

        header = new FrameHeader(flags, (int)size, headerLength);
        return FrameStatus.Frame;
    }
}
