using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Sockets;

/// <summary>
/// Holds the inproc endpoints that sockets bind and connect to, and shared settings such as the
/// logger factory. Sockets made without a context use <see cref="Default"/>; an explicit context
/// isolates a group of sockets (tests, plugins).
/// </summary>
public sealed class Context : IDisposable, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<ZmqSocket> _sockets = [];
    private bool _disposed;

    /// <summary>Creates a context that logs through <paramref name="loggerFactory"/> (none by default).</summary>
    public Context(ILoggerFactory? loggerFactory = null)
    {
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The context of sockets created without one.</summary>
    public static Context Default { get; } = new();

    /// <summary>Where sockets of this context log connection events and dropped peers.</summary>
    public ILoggerFactory LoggerFactory { get; }

    internal InprocRegistry Inproc { get; } = new();

    /// <summary>Creates a socket of the given type in this context.</summary>
    public ZmqSocket CreateSocket(SocketType type, SocketOptions? options = null) => ZmqSocket.Create(type, options, this);

    internal void Register(ZmqSocket socket)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _sockets.Add(socket);
        }
    }

    internal void Unregister(ZmqSocket socket)
    {
        lock (_lock)
        {
            _sockets.Remove(socket);
        }
    }

    /// <summary>Closes every socket of this context (each lingers as its options say).</summary>
    public async ValueTask DisposeAsync()
    {
        ZmqSocket[] sockets;
        lock (_lock)
        {
            _disposed = true;
            sockets = [.. _sockets];
        }

        foreach (var socket in sockets)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes every socket of this context.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
