using System.Diagnostics.Metrics;
using Baton.Engine;
using Baton.Internal;
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
    private int _ioThreads = 1;
    private IoThreadGroup? _io;
    private ZapClient? _zap;

    // Replaced only for Default (SetDefaultLoggerFactory); read once by each socket as it is made.
    private volatile ILoggerFactory _loggerFactory;

    /// <summary>
    /// Creates a context that logs through <paramref name="loggerFactory"/> (none by default) and counts on
    /// the "Baton" meter that <paramref name="meterFactory"/> creates (a host's <see cref="IMeterFactory"/>,
    /// so its metrics pipeline sees them). Without a meter factory, sockets count on a static "Baton" meter
    /// shared by every such context.
    /// </summary>
    public Context(ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Metrics = BatonMetrics.For(meterFactory);
    }

    /// <summary>The context of sockets created without one; it logs nowhere until <see cref="SetDefaultLoggerFactory"/>.</summary>
    public static Context Default { get; } = new();

    /// <summary>
    /// Where sockets of this context log connection events and dropped peers. A socket takes its logger
    /// when it is created, so a change (<see cref="SetDefaultLoggerFactory"/>) reaches the sockets created after it.
    /// </summary>
    public ILoggerFactory LoggerFactory => _loggerFactory;

    /// <summary>
    /// Makes <see cref="Default"/> log through <paramref name="loggerFactory"/> (null: log nowhere
    /// again), for applications that use the default context and still want Baton's logs, such as
    /// <c>Context.SetDefaultLoggerFactory(LoggerFactory.Create(b => b.AddConsole()))</c> at startup.
    /// It may be called at any time, from any thread, more than once (the last call wins): sockets
    /// created afterwards log through the new factory, sockets that exist keep the logger they were
    /// created with. Baton does not dispose the factory.
    /// </summary>
    public static void SetDefaultLoggerFactory(ILoggerFactory? loggerFactory)
        => Default._loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>
    /// How many I/O threads of its own the context runs for its tcp and ipc connections (Linux; default 1,
    /// as libzmq). Connections' reads, writes, heartbeats and timeouts run there, so they keep flowing
    /// while the application blocks every thread-pool thread. Started with the first connection. 0 runs
    /// connections on the .NET thread pool instead, as on systems without epoll (Windows, macOS) where
    /// this setting has no effect.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int IoThreads
    {
        get => _ioThreads;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _ioThreads = value;
        }
    }

    internal InprocRegistry Inproc { get; } = new();

    /// <summary>What server handshakes ask the ZAP handler bound in this context (made on first use).</summary>
    internal ZapClient Zap
    {
        get
        {
            var zap = Volatile.Read(ref _zap);
            if (zap is not null)
            {
                return zap;
            }

            // Made once, under the lock: a ZapClient subscribes to the inproc registry, so a losing racer's
            // copy would stay subscribed for the context's life.
            lock (_lock)
            {
                if (_zap is null)
                {
                    Volatile.Write(ref _zap, new ZapClient(this));
                }

                return _zap!;
            }
        }
    }

    /// <summary>The instruments this context's sockets count with.</summary>
    internal BatonMetrics Metrics { get; }

    /// <summary>The I/O thread for a new connection; null when connections use the thread pool.</summary>
    internal IoThread? NextIoThread()
    {
        if (_ioThreads == 0 || !Epoll.IsSupported)
        {
            return null;
        }

        var io = Volatile.Read(ref _io);
        if (io is null)
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    // A connection racing the context's end: the pool serves it until it ends.
                    return null;
                }

                io = _io ??= new IoThreadGroup(_ioThreads);
            }
        }

        return io.Next();
    }

    /// <summary>Creates a socket of the given type in this context.</summary>
    public ZmqSocket CreateSocket(ZmqSocketType type, SocketOptions? options = null) => ZmqSocket.Create(type, options, this);

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

        IoThreadGroup? io;
        lock (_lock)
        {
            io = _io;
            _io = null;
        }

        io?.Dispose();
    }

    /// <summary>Closes every socket of this context.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Closes every socket of this context as <see cref="DisposeAsync"/> does, but lingers only until
    /// <paramref name="cancellationToken"/> is cancelled: messages still queued then are discarded and the
    /// connections cut, so the close ends promptly (a host's shutdown passes its stop token, which fires
    /// at the shutdown timeout). Sockets that are already closing, disposed elsewhere, are cut short too.
    /// Never throws <see cref="OperationCanceledException"/>: cancelling shortens the close, it does not
    /// abandon it.
    /// </summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        await using (cancellationToken.UnsafeRegister(static state => ((Context)state!).CutLinger(), this).ConfigureAwait(false))
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    private void CutLinger()
    {
        ZmqSocket[] sockets;
        lock (_lock)
        {
            sockets = [.. _sockets];
        }

        foreach (var socket in sockets)
        {
            socket.CutLinger();
        }
    }
}
