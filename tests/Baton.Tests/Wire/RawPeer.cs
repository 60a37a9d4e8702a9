using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Tests.Wire;

/// <summary>A hand-driven ZMTP peer over a plain tcp socket, for byte-exact tests.</summary>
internal sealed class RawPeer : IDisposable
{
    private RawPeer(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    /// <summary>Connects to a Baton socket bound at <paramref name="endpoint"/> (tcp://127.0.0.1:port).</summary>
    public static async Task<RawPeer> ConnectAsync(string endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, PortOf(endpoint)), cancel.Token);
        return new RawPeer(socket);
    }

    /// <summary>A listening socket on 127.0.0.1 for a Baton socket to connect to.</summary>
    public static (Socket Listener, string Endpoint) Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        return (listener, $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
    }

    public static async Task<RawPeer> AcceptAsync(Socket listener)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var socket = await listener.AcceptAsync(cancel.Token);
        socket.NoDelay = true;
        return new RawPeer(socket);
    }

    public static int PortOf(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);

    public async Task SendAsync(params byte[][] parts)
    {
        foreach (var part in parts)
        {
            var sent = 0;
            while (sent < part.Length)
            {
                sent += await Socket.SendAsync(part.AsMemory(sent), SocketFlags.None);
            }
        }
    }

    /// <summary>
    /// Sends as <see cref="SendAsync"/> does, for a peer the socket may refuse part-way: a connection it already
    /// closed (broken pipe, reset) ends the send quietly; false then.
    /// </summary>
    public async Task<bool> SendUnlessRefusedAsync(params byte[][] parts)
    {
        try
        {
            await SendAsync(parts);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return false;
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes or fails with a timeout or end of stream.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        var buffer = new byte[count];
        var have = 0;
        using var cancel = new CancellationTokenSource(timeout ?? TestUtil.Timeout);
        while (have < count)
        {
            int read;
            try
            {
                read = await Socket.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"read {have} of {count} bytes before the timeout");
            }

            if (read == 0)
            {
                throw new EndOfStreamException($"the peer closed after {have} of {count} bytes");
            }

            have += read;
        }

        return buffer;
    }

    /// <summary>Reads one ZMTP frame: its flags byte (LONG included) and body.</summary>
    public async Task<(byte Flags, byte[] Body)> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var flags = (await ReadExactlyAsync(1, timeout))[0];
        long size = (flags & 0x02) != 0
            ? (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8, timeout))
            : (await ReadExactlyAsync(1, timeout))[0];
        return (flags, size == 0 ? [] : await ReadExactlyAsync((int)size, timeout));
    }

    /// <summary>Reads the whole header and body of a frame as raw bytes, for golden comparisons.</summary>
    public async Task<byte[]> ReadRawFrameAsync(TimeSpan? timeout = null)
    {
        var (flags, body) = await ReadFrameAsync(timeout);
        return [.. RawZmtp.Header(flags, body.Length), .. body];
    }

    /// <summary>Does the handshake as a 3.1 (or 3.0) NULL peer and returns the READY body Baton sent.</summary>
    public async Task<byte[]> HandshakeAsync(string socketType, byte minor = 1)
    {
        await SendAsync(RawZmtp.Greeting(minor: minor), RawZmtp.Ready(socketType));
        await ReadExactlyAsync(RawZmtp.GreetingSize);
        var (flags, body) = await ReadFrameAsync();
        if (flags != 0x04)
        {
            throw new InvalidDataException($"expected READY, got a frame with flags 0x{flags:X2}");
        }

        return body;
    }

    /// <summary>Reads until the other side closes; true if it did within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan? timeout = null)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(timeout ?? TestUtil.Timeout);
        try
        {
            while (true)
            {
                if (await Socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>Hand-written ZMTP 3.x bytes (RFC 37), independent of the library's own encoder.</summary>
internal static class RawZmtp
{
    public const int GreetingSize = 64;

    public static byte[] Greeting(byte major = 3, byte minor = 1, string mechanism = "NULL", bool asServer = false)
    {
        var greeting = new byte[GreetingSize];
        greeting[0] = 0xFF;
        greeting[9] = 0x7F;
        greeting[10] = major;
        greeting[11] = minor;
        Encoding.ASCII.GetBytes(mechanism).CopyTo(greeting, 12);
        greeting[32] = asServer ? (byte)1 : (byte)0;
        return greeting;
    }

    public static byte[] Header(byte flags, long size)
    {
        if (size > 255 || (flags & 0x02) != 0)
        {
            var header = new byte[9];
            header[0] = (byte)(flags | 0x02);
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(1), (ulong)size);
            return header;
        }

        return [flags, (byte)size];
    }

    public static byte[] Frame(byte flags, byte[] body) => [.. Header(flags, body.Length), .. body];

    public static byte[] Command(string name, params byte[][] data)
    {
        var body = new List<byte> { (byte)name.Length };
        body.AddRange(Encoding.ASCII.GetBytes(name));
        foreach (var part in data)
        {
            body.AddRange(part);
        }

        return Frame(0x04, [.. body]);
    }

    public static byte[] Property(string name, byte[] value)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        return [(byte)name.Length, .. Encoding.ASCII.GetBytes(name), .. length, .. value];
    }

    public static byte[] Ready(string socketType, byte[]? identity = null)
        => identity is null
            ? Command("READY", Property("Socket-Type", Encoding.ASCII.GetBytes(socketType)))
            : Command("READY", Property("Socket-Type", Encoding.ASCII.GetBytes(socketType)), Property("Identity", identity));

    /// <summary>A whole message: every frame but the last has MORE.</summary>
    public static byte[] Message(params string[] frames) => Message(frames.Select(Encoding.UTF8.GetBytes).ToArray());

    public static byte[] Message(params byte[][] frames)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < frames.Length; i++)
        {
            bytes.AddRange(Frame(i < frames.Length - 1 ? (byte)0x01 : (byte)0x00, frames[i]));
        }

        return [.. bytes];
    }
}
