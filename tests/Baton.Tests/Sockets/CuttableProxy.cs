using System.Net;
using System.Net.Sockets;

namespace Baton.Tests.Sockets;

/// <summary>
/// A tcp relay on plain blocking sockets and threads of its own (so it works while the thread pool is
/// starved) whose connections the test can cut, as a network failure would.
/// </summary>
internal sealed class CuttableProxy : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly int _targetPort;
    private readonly Lock _lock = new();
    private readonly List<Socket> _live = [];
    private volatile bool _disposed;
    private int _accepted;

    public CuttableProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        new Thread(AcceptLoop) { IsBackground = true, Name = "proxy accept" }.Start();
    }

    public int Port { get; }

    /// <summary>Connections relayed so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Closes every relayed connection at both ends.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            foreach (var socket in _live)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                }

                socket.Dispose();
            }

            _live.Clear();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        Cut();
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                // Polled, so that Dispose ends the thread without relying on close waking a blocked accept.
                if (!_listener.Poll(100_000, SelectMode.SelectRead))
                {
                    continue;
                }

                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            server.Connect(new IPEndPoint(IPAddress.Loopback, _targetPort));
            Interlocked.Increment(ref _accepted);
            lock (_lock)
            {
                _live.Add(client);
                _live.Add(server);
            }

            new Thread(() => Pump(client, server)) { IsBackground = true, Name = "proxy up" }.Start();
            new Thread(() => Pump(server, client)) { IsBackground = true, Name = "proxy down" }.Start();
        }
    }

    private static void Pump(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = from.Receive(buffer);
                if (read == 0)
                {
                    break;
                }

                to.Send(buffer, 0, read, SocketFlags.None);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
