using System.Text;
using Baton.Messages;
using Baton.Processes.Internal.Managers;
using Baton.Sockets;

namespace Baton.Processes;

/// <summary>
/// The server side of a <see cref="Manager"/>: it owns named dictionaries, lists, namespaces and queues and
/// serves them to proxies in any process, on this machine (ipc) or another (tcp). One task serves every
/// request in turn, so each operation is atomic. Values are kept as the bytes the clients serialized, so the
/// server needs none of the application's types. <see cref="Manager.StartAsync"/> runs one in a child
/// process; construct one yourself to serve from a process of your choosing.
/// </summary>
/// <remarks>Without security, anyone who can reach a bound endpoint can read and change every object: bind
/// tcp only on a trusted network, or serve CURVE (<see cref="ManagerServer(SocketSecurity, Context?)"/>, with a
/// <c>Baton.Security.ZapAuthenticator</c> in the context to admit only known clients).</remarks>
public sealed class ManagerServer : IAsyncDisposable
{
    private readonly RouterSocket _router;
    private readonly Dictionary<string, object> _objects = new(StringComparer.Ordinal);
    private readonly List<string> _endpoints = [];
    private readonly List<ManagedQueue> _queuesWithWaiters = [];
    private volatile bool _disposed;

    /// <summary>Creates a server that is not yet bound.</summary>
    /// <param name="context">The Baton context of its socket; <see cref="Context.Default"/> when null.</param>
    public ManagerServer(Context? context = null)
        : this(SocketSecurity.Null, context)
    {
    }

    /// <summary>
    /// Creates a server that is not yet bound, serving every endpoint it binds with <paramref name="security"/>,
    /// e.g. <see cref="SocketSecurity.CurveServer(string)"/>: clients connect with
    /// <see cref="ManagerOptions.Security"/> set to the matching client side. A ZAP authenticator in
    /// <paramref name="context"/> decides which clients get in; refused ones are logged and get no answer.
    /// </summary>
    /// <param name="security">The server side of a mechanism (or <see cref="SocketSecurity.Null"/>).</param>
    /// <param name="context">The Baton context of its socket; <see cref="Context.Default"/> when null.</param>
    /// <exception cref="ArgumentException"><paramref name="security"/> is the client side of a mechanism.</exception>
    public ManagerServer(SocketSecurity security, Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(security);
        if (security.Mechanism != "NULL" && !security.IsServer)
        {
            throw new ArgumentException($"A manager server serves: give it the server side of a mechanism (SocketSecurity.CurveServer or PlainServer), not a {security}.", nameof(security));
        }

        // Heartbeats let a proxy on another machine notice a manager that vanished without closing.
        _router = new RouterSocket(new SocketOptions { HeartbeatInterval = TimeSpan.FromSeconds(1), HeartbeatTimeout = TimeSpan.FromSeconds(5), Security = security }, context);
    }

    /// <summary>The endpoints bound so far, as resolved (a tcp port 0 replaced by the real port).</summary>
    public IReadOnlyList<string> Endpoints => _endpoints;

    /// <summary>Binds an endpoint that proxies connect to and returns it resolved.</summary>
    /// <param name="endpoint">An ipc or tcp endpoint, e.g. <c>tcp://0.0.0.0:5000</c>.</param>
    public string Bind(string endpoint)
    {
        var bound = _router.Bind(endpoint);
        _endpoints.Add(bound);
        return bound;
    }

    /// <summary>
    /// Serves requests until a proxy asks the manager to shut down or the server is disposed (the task then
    /// completes), or until <paramref name="cancellationToken"/> is cancelled (it then ends with
    /// <see cref="OperationCanceledException"/>, as every RunAsync of Baton's patterns does).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (_endpoints.Count == 0)
        {
            throw new InvalidOperationException("Bind the manager server to an endpoint before running it.");
        }

        try
        {
            while (true)
            {
                var wait = NextWait();
                if (await _router.TryReceiveAsync(wait, cancellationToken).ConfigureAwait(false) is { } request)
                {
                    using (request)
                    {
                        if (!await HandleAsync(request, cancellationToken).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                }

                await ExpireWaitersAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // Disposed while serving: that is a stop too.
        }
    }

    /// <summary>
    /// The entry point of a manager's child process: binds <paramref name="endpoint"/> (and
    /// <paramref name="listen"/> when not empty) and serves until shut down or asked to stop.
    /// </summary>
    internal static async Task ServeAsync(string endpoint, string listen, CancellationToken cancellationToken)
    {
        await using var server = new ManagerServer();
        server.Bind(endpoint);
        if (listen.Length > 0)
        {
            server.Bind(listen);
        }

        try
        {
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The parent asked this child to stop: a normal end.
        }
    }

    /// <summary>Closes the server's socket (a running <see cref="RunAsync"/> returns); waiting proxies see the manager go away.</summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return _router.DisposeAsync();
    }

    private TimeSpan NextWait()
    {
        var next = long.MaxValue;
        foreach (var queue in _queuesWithWaiters)
        {
            foreach (var waiter in queue.Getters)
            {
                next = Math.Min(next, waiter.Deadline);
            }

            foreach (var waiter in queue.Putters)
            {
                next = Math.Min(next, waiter.Deadline);
            }
        }

        return next == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, next - Environment.TickCount64));
    }

    /// <returns>False when the manager must stop.</returns>
    private async ValueTask<bool> HandleAsync(Message request, CancellationToken cancellationToken)
    {
        // [identity][request id][op][name][arguments...]
        if (request.Count < 4 || !ManagerWire.TryReadUInt32(request.GetSpan(1), out var id) || request[2].Length != 1)
        {
            return true; // Not ours to answer: a malformed client gets nothing rather than a guess.
        }

        var identity = request[0];
        var op = (ManagerOp)request.GetSpan(2)[0];
        var name = Encoding.UTF8.GetString(request.GetSpan(3));
        var arguments = new Arguments(request);

        if (op == ManagerOp.Shutdown)
        {
            await ReplyAsync(identity, id, ManagerStatus.Ok, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (op == ManagerOp.Endpoints)
        {
            var endpoints = new Frame[_endpoints.Count];
            for (var i = 0; i < endpoints.Length; i++)
            {
                endpoints[i] = Frame.FromString(_endpoints[i]);
            }

            await ReplyAsync(identity, id, ManagerStatus.Ok, endpoints, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (op == ManagerOp.Open)
        {
            await ReplyAsync(identity, id, Open(name, arguments), cancellationToken).ConfigureAwait(false);
            return true;
        }

        _objects.TryGetValue(name, out var target);
        var (status, payload) = target switch
        {
            Dictionary<byte[], byte[]> dictionary => Dictionary(dictionary, op, arguments),
            List<byte[]> list => List(list, op, arguments),
            Dictionary<string, byte[]> space => Namespace(space, op, arguments),
            ManagedQueue queue => Queue(queue, identity, id, op, arguments),
            _ => (ManagerStatus.NotFound, null),
        };

        if (status != ManagerStatus.Ok || payload is not null || op != ManagerOp.QueueGet && op != ManagerOp.QueuePut && op != ManagerOp.QueueCancel)
        {
            await ReplyAsync(identity, id, status, payload ?? [], cancellationToken).ConfigureAwait(false);
        }

        if (target is ManagedQueue waited)
        {
            await ServeWaitersAsync(waited, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private ManagerStatus Open(string name, Arguments arguments)
    {
        if (name.Length == 0 || arguments.Length < 1 || arguments[0].Length != 1)
        {
            return ManagerStatus.BadRequest;
        }

        var kind = (ManagedObjectKind)arguments[0].Span[0];
        if (_objects.TryGetValue(name, out var existing))
        {
            return KindOf(existing) == kind ? ManagerStatus.Ok : ManagerStatus.WrongKind;
        }

        object? created = kind switch
        {
            ManagedObjectKind.Dictionary => new Dictionary<byte[], byte[]>(ByteArrayComparer.Instance),
            ManagedObjectKind.List => new List<byte[]>(),
            ManagedObjectKind.Namespace => new Dictionary<string, byte[]>(StringComparer.Ordinal),
            ManagedObjectKind.Queue when arguments.Length >= 2 && ManagerWire.TryReadInt32(arguments[1].Span, out var maxSize) && maxSize >= 0 => new ManagedQueue(maxSize),
            _ => null,
        };

        if (created is null)
        {
            return ManagerStatus.BadRequest;
        }

        _objects.Add(name, created);
        return ManagerStatus.Ok;
    }

    private static ManagedObjectKind KindOf(object target) => target switch
    {
        Dictionary<byte[], byte[]> => ManagedObjectKind.Dictionary,
        List<byte[]> => ManagedObjectKind.List,
        Dictionary<string, byte[]> => ManagedObjectKind.Namespace,
        _ => ManagedObjectKind.Queue,
    };

    private static (ManagerStatus, Frame[]?) Dictionary(Dictionary<byte[], byte[]> dictionary, ManagerOp op, Arguments arguments)
    {
        // Keys are looked up from the request's frame in place: only a key that gets stored is copied.
        var keys = dictionary.GetAlternateLookup<ReadOnlySpan<byte>>();
        switch (op)
        {
            case ManagerOp.DictionaryGet when arguments.Length == 1:
                return keys.TryGetValue(arguments[0].Span, out var value) ? (ManagerStatus.Ok, [new Frame(value)]) : (ManagerStatus.NotFound, null);
            case ManagerOp.DictionarySet when arguments.Length == 2:
                keys[arguments[0].Span] = arguments[1].ToArray();
                return (ManagerStatus.Ok, null);
            case ManagerOp.DictionarySetDefault when arguments.Length == 2:
                if (!keys.TryGetValue(arguments[0].Span, out var current))
                {
                    current = arguments[1].ToArray();
                    keys.TryAdd(arguments[0].Span, current);
                }

                return (ManagerStatus.Ok, [new Frame(current)]);
            case ManagerOp.DictionaryRemove when arguments.Length == 1:
                return keys.Remove(arguments[0].Span, out _, out var removed) ? (ManagerStatus.Ok, [new Frame(removed)]) : (ManagerStatus.NotFound, null);
            case ManagerOp.DictionaryContains when arguments.Length == 1:
                return keys.ContainsKey(arguments[0].Span) ? (ManagerStatus.Ok, null) : (ManagerStatus.NotFound, null);
            case ManagerOp.DictionaryCount:
                return (ManagerStatus.Ok, [ManagerWire.Int32(dictionary.Count)]);
            case ManagerOp.DictionaryKeys:
                return (ManagerStatus.Ok, Frames(dictionary.Keys, dictionary.Count));
            case ManagerOp.DictionaryValues:
                return (ManagerStatus.Ok, Frames(dictionary.Values, dictionary.Count));
            case ManagerOp.DictionaryItems:
                var items = new Frame[dictionary.Count * 2];
                var i = 0;
                foreach (var (k, v) in dictionary)
                {
                    items[i++] = new Frame(k);
                    items[i++] = new Frame(v);
                }

                return (ManagerStatus.Ok, items);
            case ManagerOp.DictionaryClear:
                dictionary.Clear();
                return (ManagerStatus.Ok, null);
            default:
                return (ManagerStatus.BadRequest, null);
        }
    }

    private static (ManagerStatus, Frame[]?) List(List<byte[]> list, ManagerOp op, Arguments arguments)
    {
        switch (op)
        {
            case ManagerOp.ListAppend when arguments.Length == 1:
                list.Add(arguments[0].ToArray());
                return (ManagerStatus.Ok, null);
            case ManagerOp.ListCount:
                return (ManagerStatus.Ok, [ManagerWire.Int32(list.Count)]);
            case ManagerOp.ListItems:
                return (ManagerStatus.Ok, Frames(list, list.Count));
            case ManagerOp.ListClear:
                list.Clear();
                return (ManagerStatus.Ok, null);
        }

        if (arguments.Length < 1 || !ManagerWire.TryReadIndex(arguments[0].Span, out var index))
        {
            return (ManagerStatus.BadRequest, null);
        }

        var position = index.IsFromEnd ? list.Count - index.Value : index.Value;
        var limit = op == ManagerOp.ListInsert ? list.Count : list.Count - 1;
        if (position < 0 || position > limit)
        {
            return (ManagerStatus.OutOfRange, [ManagerWire.Int32(list.Count)]);
        }

        switch (op)
        {
            case ManagerOp.ListGet:
                return (ManagerStatus.Ok, [new Frame(list[position])]);
            case ManagerOp.ListSet when arguments.Length == 2:
                list[position] = arguments[1].ToArray();
                return (ManagerStatus.Ok, null);
            case ManagerOp.ListInsert when arguments.Length == 2:
                list.Insert(position, arguments[1].ToArray());
                return (ManagerStatus.Ok, null);
            case ManagerOp.ListRemoveAt:
                var removed = list[position];
                list.RemoveAt(position);
                return (ManagerStatus.Ok, [new Frame(removed)]);
            default:
                return (ManagerStatus.BadRequest, null);
        }
    }

    private static (ManagerStatus, Frame[]?) Namespace(Dictionary<string, byte[]> space, ManagerOp op, Arguments arguments)
    {
        switch (op)
        {
            case ManagerOp.NamespaceGet when arguments.Length == 1:
                return space.TryGetValue(arguments[0].ToString(), out var value) ? (ManagerStatus.Ok, [new Frame(value)]) : (ManagerStatus.NotFound, null);
            case ManagerOp.NamespaceSet when arguments.Length == 2 && !arguments[0].IsEmpty:
                space[arguments[0].ToString()] = arguments[1].ToArray();
                return (ManagerStatus.Ok, null);
            case ManagerOp.NamespaceRemove when arguments.Length == 1:
                return space.Remove(arguments[0].ToString()) ? (ManagerStatus.Ok, null) : (ManagerStatus.NotFound, null);
            case ManagerOp.NamespaceNames:
                var names = new Frame[space.Count];
                var i = 0;
                foreach (var key in space.Keys)
                {
                    names[i++] = Frame.FromString(key);
                }

                return (ManagerStatus.Ok, names);
            default:
                return (ManagerStatus.BadRequest, null);
        }
    }

    /// <summary>
    /// Queue operations answer at once when they can; a Get on an empty queue or a Put on a full one
    /// waits (returns Ok with no payload and no reply yet) until served, withdrawn or timed out.
    /// </summary>
    private (ManagerStatus, Frame[]?) Queue(ManagedQueue queue, Frame identity, uint id, ManagerOp op, Arguments arguments)
    {
        switch (op)
        {
            case ManagerOp.QueueCount:
                return (ManagerStatus.Ok, [ManagerWire.Int32(queue.Items.Count)]);
            case ManagerOp.QueueCancel when arguments.Length == 1 && ManagerWire.TryReadUInt32(arguments[0].Span, out var target):
                CancelWaiter(queue.Getters, identity, target);
                CancelWaiter(queue.Putters, identity, target);
                return (ManagerStatus.Ok, null);
            case ManagerOp.QueuePut when arguments.Length == 2 && ManagerWire.TryReadInt32(arguments[1].Span, out var putWait):
                if (!queue.IsFull && queue.Putters.Count == 0)
                {
                    queue.Items.Enqueue(arguments[0].ToArray());
                    return (ManagerStatus.Ok, []);
                }

                if (putWait == 0)
                {
                    return (ManagerStatus.TimedOut, null);
                }

                queue.Putters.AddLast(new ManagedQueue.Waiter(identity, id, Deadline(putWait), arguments[0].ToArray()));
                Track(queue);
                return (ManagerStatus.Ok, null);
            case ManagerOp.QueueGet when arguments.Length == 1 && ManagerWire.TryReadInt32(arguments[0].Span, out var getWait):
                if (queue.Items.Count > 0 && queue.Getters.Count == 0)
                {
                    return (ManagerStatus.Ok, [new Frame(queue.Items.Dequeue())]);
                }

                if (getWait == 0)
                {
                    return (ManagerStatus.TimedOut, null);
                }

                queue.Getters.AddLast(new ManagedQueue.Waiter(identity, id, Deadline(getWait), null));
                Track(queue);
                return (ManagerStatus.Ok, null);
            default:
                return (ManagerStatus.BadRequest, null);
        }

        void CancelWaiter(LinkedList<ManagedQueue.Waiter> waiters, Frame who, uint target)
        {
            for (var node = waiters.First; node is not null; node = node.Next)
            {
                if (node.Value.RequestId == target && node.Value.Identity == who)
                {
                    waiters.Remove(node);
                    _pendingCancelled.Add((who, target));
                    return;
                }
            }
        }
    }

    private readonly List<(Frame Identity, uint RequestId)> _pendingCancelled = [];

    private static long Deadline(int milliseconds) => milliseconds < 0 ? long.MaxValue : Environment.TickCount64 + milliseconds;

    private void Track(ManagedQueue queue)
    {
        if (!_queuesWithWaiters.Contains(queue))
        {
            _queuesWithWaiters.Add(queue);
        }
    }

    /// <summary>Moves items from waiting putters into the queue and from the queue to waiting getters, in arrival order.</summary>
    private async ValueTask ServeWaitersAsync(ManagedQueue queue, CancellationToken cancellationToken)
    {
        foreach (var (identity, requestId) in _pendingCancelled)
        {
            await ReplyAsync(identity, requestId, ManagerStatus.Cancelled, cancellationToken).ConfigureAwait(false);
        }

        _pendingCancelled.Clear();
        while (true)
        {
            if (queue.Putters.First is { } putter && !queue.IsFull)
            {
                queue.Putters.RemoveFirst();
                queue.Items.Enqueue(putter.Value.Item!);
                await ReplyAsync(putter.Value.Identity, putter.Value.RequestId, ManagerStatus.Ok, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (queue.Getters.First is { } getter && queue.Items.Count > 0)
            {
                queue.Getters.RemoveFirst();
                await ReplyAsync(getter.Value.Identity, getter.Value.RequestId, ManagerStatus.Ok, [new Frame(queue.Items.Dequeue())], cancellationToken).ConfigureAwait(false);
                continue;
            }

            break;
        }

        if (queue.Getters.Count == 0 && queue.Putters.Count == 0)
        {
            _queuesWithWaiters.Remove(queue);
        }
    }

    private async ValueTask ExpireWaitersAsync(CancellationToken cancellationToken)
    {
        if (_queuesWithWaiters.Count == 0)
        {
            return;
        }

        var now = Environment.TickCount64;
        // Only this loop touches the list (the awaits are sends): walk it by index, drop the emptied queues after.
        for (var i = 0; i < _queuesWithWaiters.Count; i++)
        {
            var queue = _queuesWithWaiters[i];
            await ExpireAsync(queue.Getters).ConfigureAwait(false);
            await ExpireAsync(queue.Putters).ConfigureAwait(false);
        }

        _queuesWithWaiters.RemoveAll(static queue => queue.Getters.Count == 0 && queue.Putters.Count == 0);

        async ValueTask ExpireAsync(LinkedList<ManagedQueue.Waiter> waiters)
        {
            var node = waiters.First;
            while (node is not null)
            {
                var next = node.Next;
                if (node.Value.Deadline <= now)
                {
                    waiters.Remove(node);
                    await ReplyAsync(node.Value.Identity, node.Value.RequestId, ManagerStatus.TimedOut, cancellationToken).ConfigureAwait(false);
                }

                node = next;
            }
        }
    }

    private ValueTask ReplyAsync(Frame identity, uint id, ManagerStatus status, CancellationToken cancellationToken)
        => ReplyAsync(identity, id, status, [], cancellationToken);

    private async ValueTask ReplyAsync(Frame identity, uint id, ManagerStatus status, Frame[] payload, CancellationToken cancellationToken)
    {
        var reply = new Message(identity, ManagerWire.UInt32(id), ManagerWire.Byte((byte)status));
        foreach (var frame in payload)
        {
            reply.Append(frame);
        }

        // A proxy that went away is not the other proxies' problem: ROUTER drops what it cannot route.
        await _router.SendAsync(reply, cancellationToken).ConfigureAwait(false);
    }

    private static Frame[] Frames(IEnumerable<byte[]> values, int count)
    {
        var frames = new Frame[count];
        var i = 0;
        foreach (var value in values)
        {
            frames[i++] = new Frame(value);
        }

        return frames;
    }

    /// <summary>The request's frames after [identity][request id][op][name], read in place rather than copied out per request.</summary>
    private readonly struct Arguments(Message request)
    {
        private const int First = 4;

        public int Length => request.Count - First;

        public Frame this[int index] => request[index + First];
    }
}
