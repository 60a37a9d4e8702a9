using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>
/// The child's end of the control socket, in the frame format of <see cref="ControlChannel"/>, driven by
/// blocking read and write calls. A fresh child uses this rather than System.Net.Sockets: it needs one
/// call, one outcome and a stop watcher thread, and starting the socket engine would delay its first call.
/// </summary>
internal sealed unsafe class ChildEnd(int fd)
{
    /// <summary>Reads one frame; null at end of stream or on an error (the parent is gone).</summary>
    public (ControlFrame Kind, byte[] Payload)? Receive()
    {
        Span<byte> header = stackalloc byte[5];
        if (!ReadAll(header))
            return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header) - 1;
        if (length < 0)
            return null;
        var payload = new byte[length];
        return ReadAll(payload) ? ((ControlFrame)header[4], payload) : null;
    }

    /// <summary>Whether a frame (or end of stream) is waiting to be read, without waiting.</summary>
    public bool HasData()
    {
        var poll = new LibC.PollFd { Fd = fd, Events = LibC.POLLIN };
        return LibC.Poll(&poll, 1, 0) != 0;
    }

    /// <summary>Writes one frame; false when the parent is gone.</summary>
    public bool Send(ControlFrame kind, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length + 1);
        header[4] = (byte)kind;
        return WriteAll(header) && WriteAll(payload);
    }

    private bool ReadAll(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var read = LibC.Read(fd, start + done, buffer.Length - done);
                if (read > 0)
                    done += (int)read;
                else if (read == 0 || Marshal.GetLastPInvokeError() != LibC.EINTR)
                    return false;
            }
        }

        return true;
    }

    private bool WriteAll(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var written = LibC.Write(fd, start + done, buffer.Length - done);
                if (written > 0)
                    done += (int)written;
                else if (written == 0 || Marshal.GetLastPInvokeError() != LibC.EINTR)
                    return false;
            }
        }

        return true;
    }
}
