using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Baton.Bench.Cli;

/// <summary>
/// The floor on this runtime: a plain .NET socket moving 4-byte length-prefixed messages, batched into
/// 64 KB writes for throughput and written one at a time for ping-pong latency. No ZeroMQ at all.
/// </summary>
internal sealed class SocketDriver : Driver
{
    private const int BufferSize = 64 * 1024;

    public override string Name => "socket";

    public override bool Supports(string transport) => transport is "tcp" or "ipc";

    public override bool SupportsCurve => false;

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
    {
        using var socket = Connect(endpoint);
        var payload = new byte[size];
        var buffer = new byte[BufferSize];
        var used = 0;
        Span<byte> header = stackalloc byte[4];
        for (var i = 0; i < count; i++)
        {
            if (used + 4 + size > buffer.Length)
            {
                SendAll(socket, buffer.AsSpan(0, used));
                used = 0;
            }

            if (4 + size > buffer.Length)
            {
                BinaryPrimitives.WriteInt32BigEndian(header, size);
                SendAll(socket, header);
                SendAll(socket, payload);
                continue;
            }

            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), size);
            payload.CopyTo(buffer.AsSpan(used + 4));
            used += 4 + size;
        }

        SendAll(socket, buffer.AsSpan(0, used));
        beforeClose();
        socket.Shutdown(SocketShutdown.Send);

        // Wait for the receiver to close, so nothing is cut off by our exit.
        while (socket.Receive(buffer) > 0)
        {
        }
    }

    public override ILatencyClient BindReq(string transport) => new Client(transport);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
    {
        using var socket = Connect(endpoint);
        var buffer = new byte[Math.Max(size, 1)];
        for (var i = 0; i < count; i++)
        {
            ReceiveExactly(socket, buffer.AsSpan(0, size));
            SendAll(socket, buffer.AsSpan(0, size));
        }

        beforeClose();
    }

    private static Socket Connect(string endpoint)
    {
        var (address, family, protocol) = Parse(endpoint);
        var socket = new Socket(family, SocketType.Stream, protocol);
        if (protocol == ProtocolType.Tcp)
        {
            socket.NoDelay = true;
        }

        socket.Connect(address);
        return socket;
    }

    private static (EndPoint Address, AddressFamily Family, ProtocolType Protocol) Parse(string endpoint)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            return (new UnixDomainSocketEndPoint(endpoint["ipc://".Length..]), AddressFamily.Unix, ProtocolType.Unspecified);
        }

        return (IPEndPoint.Parse(endpoint["tcp://".Length..]), AddressFamily.InterNetwork, ProtocolType.Tcp);
    }

    private static Socket Listen(string transport, out Socket listener, out string endpoint)
    {
        endpoint = transport == "ipc" ? BindAddress("ipc") : "tcp://127.0.0.1:0";
        var (address, family, protocol) = Parse(endpoint);
        listener = new Socket(family, SocketType.Stream, protocol);
        listener.Bind(address);
        listener.Listen(1);
        if (transport == "tcp")
        {
            endpoint = $"tcp://{listener.LocalEndPoint}";
        }

        return listener;
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[socket.Send(data)..];
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> data)
    {
        while (!data.IsEmpty)
        {
            var read = socket.Receive(data);
            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }

            data = data[read..];
        }
    }

    private sealed class Receiver : IThroughputReceiver
    {
        private readonly Socket _listener;

        public Receiver(string transport)
        {
            Listen(transport, out _listener, out var endpoint);
            Endpoint = endpoint;
        }

        public string Endpoint { get; }

        public double Receive(int warmup, int count, int size)
        {
            using var socket = _listener.Accept();
            var buffer = new byte[Math.Max(BufferSize, 8 + size)];
            int start = 0, end = 0;
            long began = 0;
            var total = warmup + count;
            for (var received = 0; received < total; received++)
            {
                if (received == warmup)
                {
                    began = Stopwatch.GetTimestamp();
                }

                // Parse a frame header, refilling (and compacting) the buffer as needed.
                while (end - start < 4)
                {
                    Fill(socket, buffer, ref start, ref end);
                }

                var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
                start += 4;
                var have = Math.Min(end - start, length);
                start += have;
                var missing = length - have;
                while (missing > 0)
                {
                    // Large frames: read the rest straight through the buffer.
                    var read = socket.Receive(buffer, 0, Math.Min(missing, buffer.Length), SocketFlags.None);
                    if (read == 0)
                    {
                        throw new IOException("the sender closed early");
                    }

                    missing -= read;
                    start = end = 0;
                }
            }

            return Stopwatch.GetElapsedTime(began).TotalSeconds;
        }

        private static void Fill(Socket socket, byte[] buffer, ref int start, ref int end)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            var read = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the sender closed early");
            }

            end += read;
        }

        public void Dispose()
        {
            _listener.Dispose();
            DeleteIpcFile(Endpoint);
        }
    }

    private sealed class Client : ILatencyClient
    {
        private readonly Socket _listener;
        private Socket? _socket;

        public Client(string transport)
        {
            Listen(transport, out _listener, out var endpoint);
            Endpoint = endpoint;
        }

        public string Endpoint { get; }

        public void Run(int warmup, long[] samples, int size)
        {
            _socket = _listener.Accept();
            if (_socket.ProtocolType == ProtocolType.Tcp)
            {
                _socket.NoDelay = true;
            }
            var payload = new byte[size];
            var buffer = new byte[Math.Max(size, 1)];
            for (var i = 0; i < warmup + samples.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                SendAll(_socket, payload);
                ReceiveExactly(_socket, buffer.AsSpan(0, size));
                if (i >= warmup)
                {
                    samples[i - warmup] = Stopwatch.GetTimestamp() - start;
                }
            }
        }

        public void Dispose()
        {
            _socket?.Dispose();
            _listener.Dispose();
            DeleteIpcFile(Endpoint);
        }
    }
}
