using System.Collections.Concurrent;
using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A server process owning named dictionaries, lists, namespaces and queues, and proxies to them usable from
/// any process: Python's <c>multiprocessing.Manager()</c>. Start one with <see cref="StartAsync"/> (it runs in a
/// child process that dies with this one), or reach a running one, on this machine or another, with
/// <see cref="Connect"/>. Proxies can be passed as arguments to child processes and pool tasks.
/// </summary>
[MessagePack.MessagePackFormatter(typeof(ManagerProxyFormatters.ForManager))]
public sealed class Manager : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, Manager> Shared = new(StringComparer.Ordinal);

    private readonly ManagerChannel _channel;
    private readonly ManagerOptions _options;
    private readonly Func<Exception?>? _serverGone;
    private readonly ChildProcess? _server;
    private readonly string? _folder;
    private int _disposed;

    private Manager(string endpoint, ManagerOptions options, ChildProcess? server, string? folder)
    {
        Endpoint = endpoint;
        _options = options;
        _server = server;
        _folder = folder;
        if (server is not null)
        {
            _serverGone = () => server.IsAlive ? null : new ProcessExitedException($"The manager's process {server.Pid} exited (exit code {server.ExitCode}).");
        }

        _channel = new ManagerChannel(endpoint, options.ConnectTimeout, _serverGone, server is null ? options.Security : null);
        Endpoints = [endpoint];
    }

    /// <summary>The endpoint proxies reach the manager at: this machine's (ipc) for a manager this process started.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Every endpoint the manager serves, as resolved: for one started with <see cref="ManagerOptions.Listen"/>,
    /// the tcp endpoint that proxies on other machines connect to comes second.
    /// </summary>
    public IReadOnlyList<string> Endpoints { get; private set; }

    /// <summary>
    /// Starts a manager in a child process (a daemon: it ends with this process, even if this one is killed)
    /// and connects to it.
    /// </summary>
    /// <param name="options">Where else it listens, how long requests wait for it; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait for the manager to come up.</param>
    /// <exception cref="ManagerUnavailableException">The manager's process ended before it served.</exception>
    public static async Task<Manager> StartAsync(ManagerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ManagerOptions();
        if (options.Security is not null)
        {
            throw new ArgumentException(
                "ManagerOptions.Security is the client side, for Manager.Connect. A manager started here serves its Listen endpoint without security: to serve over CURVE, run a ManagerServer with SocketSecurity.CurveServer (and a ZapAuthenticator in its context to admit known clients).",
                nameof(options));
        }

        var folder = Directory.CreateTempSubdirectory("baton-manager-").FullName;
        var endpoint = $"ipc://{folder}/manager";
        ChildProcess server;
        try
        {
            server = ChildProcess.Start<string, string, CancellationToken>(
                ManagerServer.ServeAsync, endpoint, options.Listen ?? "", CancellationToken.None,
                new ChildProcessOptions { Daemon = true, Name = "baton-manager" });
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }

        var manager = new Manager(endpoint, options, server, folder);
        try
        {
            var (_, payload) = await manager._channel.RequestAsync(ManagerOp.Endpoints, "", [], false, cancellationToken).ConfigureAwait(false);
            var endpoints = new string[payload.Length];
            for (var i = 0; i < endpoints.Length; i++)
            {
                endpoints[i] = payload[i].ToString();
            }

            manager.Endpoints = endpoints;
            return manager;
        }
        catch
        {
            await manager.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The process serving a manager this process started; null for one reached with <see cref="Connect"/>.</summary>
    public ChildProcess? Process => _server;

    /// <summary>Connects to a running manager (one started by <see cref="StartAsync"/> in another process, or a <see cref="ManagerServer"/>).</summary>
    /// <param name="endpoint">Its endpoint, e.g. <c>tcp://10.0.0.5:5000</c>.</param>
    /// <param name="options">Connection options; null for the defaults.</param>
    public static Manager Connect(string endpoint, ManagerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        return new Manager(endpoint, options ?? new ManagerOptions(), null, null);
    }

    /// <summary>The manager this process shares for proxies that arrived as arguments: one connection per endpoint.</summary>
    internal static Manager ForEndpoint(string endpoint) => Shared.GetOrAdd(endpoint, static e => Connect(e));

    /// <summary>
    /// The endpoint another process should use, from the list a manager serves: its ipc endpoint on the same
    /// machine (the socket file is there), else its first tcp endpoint.
    /// </summary>
    internal static string Reachable(IReadOnlyList<string> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (endpoint.StartsWith("ipc://", StringComparison.Ordinal) && File.Exists(endpoint["ipc://".Length..]))
            {
                return endpoint;
            }
        }

        foreach (var endpoint in endpoints)
        {
            if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            {
                return endpoint;
            }
        }

        return endpoints[0];
    }

    /// <summary>Opens (creating it if needed) the dictionary named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public DictionaryProxy<TKey, TValue> Dictionary<TKey, TValue>(string name)
        where TKey : notnull
    {
        Open(name, ManagedObjectKind.Dictionary, 0);
        return new DictionaryProxy<TKey, TValue>(this, _channel, name);
    }

    /// <summary>Opens (creating it if needed) the list named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public ListProxy<T> List<T>(string name)
    {
        Open(name, ManagedObjectKind.List, 0);
        return new ListProxy<T>(this, _channel, name);
    }

    /// <summary>Opens (creating it if needed) the namespace named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public NamespaceProxy Namespace(string name)
    {
        Open(name, ManagedObjectKind.Namespace, 0);
        return new NamespaceProxy(this, _channel, name);
    }

    /// <summary>
    /// Opens (creating it if needed) the queue named <paramref name="name"/>. The proxy has a connection of
    /// its own, so a blocked Get does not hold up other proxies: dispose it when done.
    /// </summary>
    /// <param name="name">The queue's name.</param>
    /// <param name="maxSize">The most items it holds before Put waits; 0 for no bound. Used when the queue is created.</param>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public QueueProxy<T> Queue<T>(string name, int maxSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        Open(name, ManagedObjectKind.Queue, maxSize);
        return new QueueProxy<T>(this, new ManagerChannel(Endpoint, _options.ConnectTimeout, _serverGone), name);
    }

    /// <summary>Asks the manager to stop serving; its objects are gone afterwards.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
        => await _channel.RequestAsync(ManagerOp.Shutdown, "", [], false, cancellationToken).ConfigureAwait(false);

    /// <summary>Closes this connection; a manager this object started is shut down and its process ended.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_server is not null)
        {
            try
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await ShutdownAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ManagerUnavailableException or OperationCanceledException)
            {
            }

            if (!await _server.JoinAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
            {
                _server.Kill();
            }

            await _server.DisposeAsync().ConfigureAwait(false);
        }

        await _channel.DisposeAsync().ConfigureAwait(false);
        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // The server's socket file may outlive it by a moment; the folder is in the temp directory.
            }
        }
    }

    private void Open(string name, ManagedObjectKind kind, int maxSize)
        => ManagerProxy.OpenAsync(_channel, name, kind, maxSize, default).GetAwaiter().GetResult();
}
