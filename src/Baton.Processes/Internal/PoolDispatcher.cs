using System.Diagnostics;
using System.Threading.Channels;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Processes.Internal;

/// <summary>
/// The pool's one loop: every state change (a task submitted, a result, a worker's exit, a cancellation,
/// a clock tick) is an event posted here and handled in order on one logical thread, so the state needs
/// no locks and no two events can race (the class of bug behind Python's gh-115634 deadlock). Every wait
/// a caller does ends through this loop: a result, a worker's exit seen through its process, a remote
/// worker's silence past the heartbeat timeout, a timeout, or shutdown.
/// </summary>
internal sealed partial class PoolDispatcher : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    private readonly ProcessPoolOptions _options;
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RouterSocket _router;
    private readonly RouterSocket? _remote;
    private readonly Context? _context;
    private readonly Baton.Security.ZapAuthenticator? _authenticator;
    private readonly bool _shipsCode;
    private readonly AssemblyShipper _shipper = new();
    private readonly string? _localEndpoint;
    private readonly string? _tempFolder;
    private readonly byte[]? _initializerCall;
    private readonly Dictionary<string, WorkerState> _workers = new(StringComparer.Ordinal);
    private readonly LinkedList<PoolTask> _pending = new();
    private readonly Queue<WorkerState> _idle = new();
    private readonly Dictionary<string, Frame> _assemblyNameFrames = new(StringComparer.Ordinal);
    private readonly List<(int Count, TaskCompletionSource Waiter)> _workerWaiters = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _loop;
    private readonly Task _receiver;
    private readonly Task _remoteReceiver;
    private readonly Task _ticker;
    private long _nextTaskId;
    private int _nextSlot;
    private int _runningTasks;
    private int _startFailures;
    private bool _shuttingDown;
    private bool _closing;
    private Exception? _broken;
    private long _lastHeartbeatSent;

    public PoolDispatcher(ProcessPoolOptions options, byte[]? initializerCall)
    {
        _options = options;
        _initializerCall = initializerCall;
        var security = options.Security ?? SocketSecurity.Null;
        var allowList = options.CurveAllowDirectory is not null || options.CurveAllowKeys.Count > 0;
        if (allowList && (security.Mechanism != "CURVE" || !security.IsServer))
            throw new ArgumentException("CurveAllowDirectory and CurveAllowKeys admit CURVE clients: set Security to SocketSecurity.CurveServer(the pool's secret key).", nameof(options));
        if (options.Security is not null && options.Listen is null)
            throw new ArgumentException("Security applies to the socket remote workers join (Listen), and no Listen endpoint is set.", nameof(options));
        _shipsCode = options.ShipAssemblies && security.Mechanism == "CURVE" && security.IsServer;

        // Local workers talk over ipc in a private folder; remote workers over tcp, on a socket of its own
        // so that its security (CURVE, an authenticator) never taxes the local ones.
        // HWM off on both: one task in flight per worker bounds the traffic.
        _router = new RouterSocket(new SocketOptions { SendHighWatermark = 0, ReceiveHighWatermark = 0, Linger = TimeSpan.Zero });
        try
        {
            if (options.LocalWorkerCount > 0)
            {
                // A private folder for the ipc endpoint: nobody else's files, removed at shutdown.
                _tempFolder = Directory.CreateTempSubdirectory("baton-pool-").FullName;
                _localEndpoint = _router.Bind($"ipc://{Path.Combine(_tempFolder, "pool")}");
            }

            if (options.Listen is { } listen)
            {
                if (allowList)
                {
                    // Only known workers: the pool's own authenticator, in a context of its own so it
                    // neither meets nor overrides one the app may run in the default context.
                    _context = new Context(Context.Default.LoggerFactory);
                    _authenticator = WorkerAuthenticator.Start(_context, options);
                }

                _remote = new RouterSocket(new SocketOptions { SendHighWatermark = 0, ReceiveHighWatermark = 0, Linger = TimeSpan.Zero, Security = security }, _context);
                RemoteEndpoint = _remote.Bind(listen);
            }
        }
        catch
        {
            _router.Dispose();
            _remote?.Dispose();
            _authenticator?.Dispose();
            _context?.Dispose();
            DeleteTempFolder();
            throw;
        }

        _loop = Task.Run(RunLoopAsync);
        _receiver = Task.Run(() => ReceiveLoopAsync(_router, remote: false));
        _remoteReceiver = _remote is null ? Task.CompletedTask : Task.Run(() => ReceiveLoopAsync(_remote, remote: true));
        _ticker = Task.Run(TickLoopAsync);
        Post(EnsureLocalWorkers);
    }

    /// <summary>The tcp endpoint remote workers join at, as bound; null when the pool does not listen.</summary>
    public string? RemoteEndpoint { get; }

    /// <summary>Set once shutdown has begun: new tasks are refused.</summary>
    public bool IsShuttingDown => Volatile.Read(ref _shuttingDown);

    /// <summary>Completes when every worker has stopped and the socket is closed.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Posts an event to the loop; false when the loop has ended (the pool has shut down) and the event is dropped.</summary>
    public bool Post(Action action) => _events.Writer.TryWrite(action);

    /// <summary>A fresh task id.</summary>
    public long NextTaskId() => Interlocked.Increment(ref _nextTaskId);

    /// <summary>Queues a task (thread-safe): it runs when a worker is free, unless cancelled first.</summary>
    public void Enqueue(PoolTask task)
    {
        if (task.CancellationToken.CanBeCanceled)
        {
            task.Registration = task.CancellationToken.UnsafeRegister(static (state, _) =>
            {
                var (dispatcher, t) = ((PoolDispatcher, PoolTask))state!;
                dispatcher.Post(() => dispatcher.StopTask(t, StopReason.Cancelled));
            }, (this, task));
        }

        var posted = Post(() =>
        {
            if (task.State == PoolTaskState.Finished)
                return; // cancelled before it reached the loop
            if (_broken is { } broken)
            {
                Fail(task, broken);
                return;
            }

            if (_shuttingDown && _closing)
            {
                Fail(task, new InvalidOperationException("The pool has shut down: it takes no new tasks."));
                return;
            }

            _pending.AddLast(task);
            Dispatch();
        });
        if (!posted)
            Fail(task, new InvalidOperationException("The pool has shut down: it takes no new tasks."));
    }

    /// <summary>The pids of the workers now running (for diagnostics and tests).</summary>
    public Task<int[]> GetWorkerPidsAsync()
    {
        var answer = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var posted = Post(() =>
        {
            var pids = new List<int>();
            foreach (var worker in _workers.Values)
            {
                if (worker.IsReady && !worker.IsGone && !worker.IsRetiring)
                    pids.Add(worker.Pid);
            }

            answer.TrySetResult([.. pids]);
        });
        if (!posted)
            answer.TrySetResult([]);
        return answer.Task;
    }

    /// <summary>Starts shutting down: no new tasks; with <paramref name="cancelFutures"/>, pending tasks are cancelled and running ones asked to stop.</summary>
    public void BeginShutdown(bool cancelFutures)
    {
        Volatile.Write(ref _shuttingDown, true);
        Post(() =>
        {
            if (cancelFutures)
            {
                while (_pending.First is { } node)
                {
                    _pending.RemoveFirst();
                    Cancel(node.Value);
                }

                // A copy: with no grace period, stopping a task kills its worker at once.
                foreach (var worker in new List<WorkerState>(_workers.Values))
                {
                    if (worker.Task is { } task)
                        StopTask(task, StopReason.Shutdown);
                }
            }

            CloseIfDrained();
        });
    }

    public async ValueTask DisposeAsync()
    {
        BeginShutdown(cancelFutures: true);
        await _stopped.Task.ConfigureAwait(false);
    }

    private async Task RunLoopAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var action))
            {
                try
                {
                    action();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A bug here must not stop the loop every caller depends on.
                    Trace.TraceError($"Baton process pool: {e}");
                }
            }
        }
    }

    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_lifetime.Token).ConfigureAwait(false))
                Post(OnTick);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveLoopAsync(RouterSocket socket, bool remote)
    {
        try
        {
            while (true)
            {
                var message = await socket.ReceiveAsync(_lifetime.Token).ConfigureAwait(false);
                if (message.Count < 2)
                {
                    message.Dispose();
                    continue;
                }

                // Frames taken out of a message stay valid after it is disposed.
                var identity = PoolProtocol.Text(message.GetSpan(0));
                var header = message[1];
                var extra1 = message.Count > 2 ? message[2] : Frame.Empty;
                var extra2 = message.Count > 3 ? message[3] : Frame.Empty;
                message.Dispose();
                Post(() => OnMessage(identity, remote, header, extra1, extra2));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Send(WorkerState worker, Frame header, Frame extra1 = default, Frame extra2 = default, bool withExtras = false)
    {
        var message = new Message(worker.Address, header);
        if (withExtras)
        {
            message.Append(extra1);
            message.Append(extra2);
        }

        try
        {
            // Unlimited HWM: the send queues at once and never waits.
            (worker.IsRemote ? _remote! : _router).TrySend(message, TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            message.Dispose();
        }
    }

    private static long Now => Stopwatch.GetTimestamp();

    private static long After(TimeSpan span) => Now + (long)(span.TotalSeconds * Stopwatch.Frequency);

    private void DeleteTempFolder()
    {
        if (_tempFolder is null)
            return;
        try
        {
            Directory.Delete(_tempFolder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
