using System.Collections.Concurrent;
using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A server process owning named dictionaries, lists, namespaces and queues, and proxies to them usable from
/// any process: Python's <c>multiprocessing.Manager()</c>. Start one with <c>StartAsync</c> (it runs in a
/// child process that dies with this one), or reach a running one, on this machine or another, with
/// <see cref="Connect"/>. Proxies can be passed as arguments to child processes and pool tasks.
/// </summary>
public sealed class Manager : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, Manager> Shared = new(StringComparer.Ordinal);

    private readonly ManagerChannel _channel;
    private readonly ManagerOptions _options;
    private readonly Func<Exception?>? _serverGone;
    private readonly IAsyncDisposable? _server;

    private Manager(string endpoint, ManagerOptions options, Func<Exception?>? serverGone, IAsyncDisposable? server)
    {
        Endpoint = endpoint;
        _options = options;
        _serverGone = serverGone;
        _server = server;
        _channel = new ManagerChannel(endpoint, options.ConnectTimeout, serverGone);
    }

    /// <summary>The endpoint proxies reach the manager at.</summary>
    public string Endpoint { get; }

    /// <summary>Connects to a running manager (one started by <c>StartAsync</c> in another process, or a <see cref="ManagerServer"/>).</summary>
    /// <param name="endpoint">Its endpoint, e.g. <c>tcp://10.0.0.5:5000</c>.</param>
    /// <param name="options">Connection options; null for the defaults.</param>
    public static Manager Connect(string endpoint, ManagerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        return new Manager(endpoint, options ?? new ManagerOptions(), null, null);
    }

    /// <summary>The manager this process shares for proxies that arrived as arguments: one connection per endpoint.</summary>
    internal static Manager ForEndpoint(string endpoint) => Shared.GetOrAdd(endpoint, static e => Connect(e));

    /// <summary>Opens (creating it if needed) the dictionary named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public DictionaryProxy<TKey, TValue> Dictionary<TKey, TValue>(string name)
        where TKey : notnull
    {
        Open(name, ManagedObjectKind.Dictionary, 0);
        return new DictionaryProxy<TKey, TValue>(_channel, name);
    }

    /// <summary>Opens (creating it if needed) the list named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public ListProxy<T> List<T>(string name)
    {
        Open(name, ManagedObjectKind.List, 0);
        return new ListProxy<T>(_channel, name);
    }

    /// <summary>Opens (creating it if needed) the namespace named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The name holds another kind of object.</exception>
    public NamespaceProxy Namespace(string name)
    {
        Open(name, ManagedObjectKind.Namespace, 0);
        return new NamespaceProxy(_channel, name);
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
        return new QueueProxy<T>(new ManagerChannel(Endpoint, _options.ConnectTimeout, _serverGone), name);
    }

    /// <summary>Asks the manager to stop serving; its objects are gone afterwards.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
        => await _channel.RequestAsync(ManagerOp.Shutdown, "", [], false, cancellationToken).ConfigureAwait(false);

    /// <summary>Closes this connection; a manager this object started is shut down and its process ended.</summary>
    public async ValueTask DisposeAsync()
    {
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

            await _server.DisposeAsync().ConfigureAwait(false);
        }

        await _channel.DisposeAsync().ConfigureAwait(false);
    }

    private void Open(string name, ManagedObjectKind kind, int maxSize)
        => ManagerProxy.OpenAsync(_channel, name, kind, maxSize, default).GetAwaiter().GetResult();
}
