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
