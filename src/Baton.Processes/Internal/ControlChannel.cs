using System.Buffers.Binary;
using System.Net.Sockets;

namespace Baton.Processes.Internal;

/// <summary>The kinds of frame on a child's control socket.</summary>
internal enum ControlFrame : byte
{
    /// <summary>Parent to child: an encoded call (<see cref="Invocation.EncodeCall"/>).</summary>
    Call = 1,

    /// <summary>Parent to child: signal the call's CancellationToken.</summary>
    Stop = 2,

    /// <summary>Child to parent: the encoded outcome.</summary>
    Outcome = 3,
}

/// <summary>
/// A child's control socket: one end of a Unix stream socket pair, the other inherited by the child. Frames
/// are a 4-byte little-endian length (of kind and payload), a kind byte, then the payload. The socket pair
/// (rather than ipc sockets in a temp folder) costs no file, no bind and no connect, and it reads end of
/// stream the moment the other process dies.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private readonly Socket socket;
    private readonly SemaphoreSlim writeLock = new(1, 1);

    public ControlChannel(Socket socket) => this.socket = socket;

    /// <summary>Creates a socket pair: the parent's end as a channel, and the child's end as a raw descriptor.</summary>
    public static unsafe (ControlChannel Parent, int ChildFd) CreatePair()
    {
        var fds = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair failed: {LibC.ErrorText(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        return (FromDescriptor(fds[0]), fds[1]);
    }

    /// <summary>Wraps an inherited descriptor.</summary>
    public static ControlChannel FromDescriptor(int fd) => new(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));

    /// <summary>Sends one frame.</summary>
    public async ValueTask SendAsync(ControlFrame kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var header = new byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length + 1);
        header[4] = (byte)kind;
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendAllAsync(header, cancellationToken).ConfigureAwait(false);
            await SendAllAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Receives one frame, or null at end of stream (the other process closed it or died).</summary>
    public async ValueTask<(ControlFrame Kind, byte[] Payload)?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var header = new byte[5];
        if (!await ReceiveAllAsync(header, cancellationToken).ConfigureAwait(false))
            return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header) - 1;
        if (length < 0)
            throw new InvalidDataException("A malformed control frame.");
        var payload = new byte[length];
        if (!await ReceiveAllAsync(payload, cancellationToken).ConfigureAwait(false))
            return null;
        return ((ControlFrame)header[4], payload);
    }

    public void Dispose()
    {
        socket.Dispose();
        writeLock.Dispose();
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private async ValueTask<bool> ReceiveAllAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                return false; // reset by a dying peer: the same as end of stream
            }

            if (read == 0)
                return false;
            buffer = buffer[read..];
        }

        return true;
    }
}
