using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Processes.Internal;

/// <summary>
/// A worker's side of the pool protocol: connect a DEALER to the pool, run the initializer, say READY,
/// then run one task at a time, keep reading (a CANCEL must reach a running task, shipped assemblies must
/// arrive while a task waits for them), and report each outcome with the working set so the pool can
/// recycle a leaking worker.
/// </summary>
internal sealed class WorkerLoop
{
    /// <summary>What a worker needs to know.</summary>
    /// <param name="Endpoint">The pool's ROUTER.</param>
    /// <param name="Identity">The DEALER identity the pool addresses this worker by.</param>
    /// <param name="Tag">The local slot name; empty for a remote worker.</param>
    /// <param name="Initializer">The encoded initializer call, if any.</param>
    /// <param name="HeartbeatInterval">How often a remote worker says it is alive.</param>
    /// <param name="HeartbeatTimeout">Pool silence after which a remote worker says READY again (a restarted pool).</param>
    public sealed record Settings(string Endpoint, string Identity, string Tag, byte[]? Initializer, TimeSpan HeartbeatInterval, TimeSpan HeartbeatTimeout)
    {
        public bool IsRemote => Tag.Length == 0;

        /// <summary>The DEALER's security: NULL, or the worker's side of the pool's PLAIN or CURVE.</summary>
        public SocketSecurity Security { get; init; } = SocketSecurity.Null;

        /// <summary>
        /// Whether this worker may run code the pool ships: only as a CURVE client, which by construction
        /// knows the pool's public key and so has authenticated the pool it talks to (RFC 26).
        /// </summary>
        public bool AcceptsShippedCode => IsRemote && Security.Mechanism == "CURVE" && !Security.IsServer;
    }

    /// <summary>How long a worker waits for the assembly a task needs before refusing the task.</summary>
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(2);

    private static int s_outOfMemory;

    private readonly Settings _settings;
    private readonly DealerSocket _dealer;
    private readonly CancellationTokenSource _lifetime;
    private readonly ShippedAssemblyContext? _shipped;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ShippedAssemblyContext.Shipment>> _fetches = new();
    private long _nextFetch;
    private int _initialized;
    private int _exitCode;

    // Whether the running task's DONE reports the working set: measuring it (Process via reflection, and a
    // /proc read) costs more than a small task, and only a pool with MaxWorkerMemory reads it. Set by the
    // receive loop only between tasks (it awaits the previous one first).
    private bool _reportMemory = true;

    // The task assemblies the default context loaded: it never unloads them, so later tasks skip parsing the
    // name and asking the binder again. Only the receive loop (StartTask) touches it.
    private readonly HashSet<string> _loadable = new(StringComparer.Ordinal);

    private WorkerLoop(Settings settings, DealerSocket dealer, CancellationTokenSource lifetime)
    {
        _settings = settings;
        _dealer = dealer;
        _lifetime = lifetime;
        _initialized = settings.Initializer is null ? 0 : 1;
        if (settings.AcceptsShippedCode)
            _shipped = new ShippedAssemblyContext(settings.Endpoint, FetchAsync);
    }

    /// <summary>Serves the pool until it says STOP or <paramref name="stop"/> is signalled; the exit code.</summary>
    public static async Task<int> RunAsync(Settings settings, CancellationToken stop)
    {
        // A task that runs out of memory leaves the worker in no state to trust: exit, and the pool
        // reports the task as crashed by an out-of-memory worker (Java's ExitOnOutOfMemoryError).
        AppDomain.CurrentDomain.FirstChanceException += static (_, e) =>
        {
            if (e.Exception is OutOfMemoryException)
                Volatile.Write(ref s_outOfMemory, 1);
        };

        var options = new SocketOptions
        {
            Identity = Encoding.UTF8.GetBytes(settings.Identity),
            SendHighWatermark = 0,
            ReceiveHighWatermark = 0,
            Linger = TimeSpan.FromSeconds(5),
            Security = settings.Security,
        };
        await using var dealer = new DealerSocket(options);
        dealer.Connect(settings.Endpoint);

        if (settings.Initializer is { } initializer && !await InitializeAsync(dealer, initializer, stop).ConfigureAwait(false))
            return 1;

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
        return await new WorkerLoop(settings, dealer, lifetime).ServeAsync(stop).ConfigureAwait(false);
    }

    private async Task<int> ServeAsync(CancellationToken stop)
    {
        await _dealer.SendAsync(Ready(_settings, _initialized), stop).ConfigureAwait(false);

        var lastHeard = Stopwatch.GetTimestamp();
        Task heartbeats = Task.CompletedTask;
        if (_settings.IsRemote)
            heartbeats = HeartbeatAsync(_dealer, _settings, () => Volatile.Read(ref lastHeard), AbandonFetches, _lifetime.Token);

        CancellationTokenSource? current = null;
        long currentId = 0;
        Task running = Task.CompletedTask;
        try
        {
            while (true)
            {
                Message message;
                try
                {
                    message = await _dealer.ReceiveAsync(_lifetime.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    current?.Cancel();
                    await running.ConfigureAwait(false);
                    return Volatile.Read(ref _exitCode);
                }

                Volatile.Write(ref lastHeard, Stopwatch.GetTimestamp());
                using (message)
                {
                    var header = message.GetSpan(0);
                    switch (PoolProtocol.KindOf(header))
                    {
                        case PoolProtocol.Task when message.Count >= 3 && PoolProtocol.TryReadInt64(header, 1, out var taskId):
                            await running.ConfigureAwait(false); // the pool sends one at a time; never run two
                            current?.Dispose();
                            current = new CancellationTokenSource();
                            currentId = taskId;
                            _reportMemory = !PoolProtocol.TryReadInt64(message.GetSpan(0), 9, out var reportMemory) || reportMemory != 0;
                            running = StartTask(taskId, PoolProtocol.Text(message.GetSpan(1)), message[2].Memory, current.Token);
                            break;
                        case PoolProtocol.Assembly when message.Count >= 3 && PoolProtocol.TryReadInt64(header, 1, out var shippedId):
                            if (_fetches.TryRemove(shippedId, out var shipped))
                                shipped.TrySetResult(new ShippedAssemblyContext.Shipment(message[1].Memory, message[2].Memory, null));
                            break;
                        case PoolProtocol.AssemblyUnavailable when message.Count >= 2 && PoolProtocol.TryReadInt64(header, 1, out var unavailableId):
                            if (_fetches.TryRemove(unavailableId, out var unavailable))
                                unavailable.TrySetResult(new ShippedAssemblyContext.Shipment(default, default, PoolProtocol.Text(message.GetSpan(1))));
                            break;
                        case PoolProtocol.Cancel when PoolProtocol.TryReadInt64(header, 1, out var cancelId):
                            if (cancelId == currentId && !running.IsCompleted)
                                current?.Cancel();
                            break;
                        case PoolProtocol.Initialize when message.Count >= 2 && Volatile.Read(ref _initialized) == 0:
                            await running.ConfigureAwait(false);
                            // Off the receive loop: the initializer's assembly may have to be shipped first.
                            running = InitializeRemoteAsync(message[1].Memory, stop);
                            break;
                        case PoolProtocol.Stop:
                            await running.ConfigureAwait(false);
                            return Volatile.Read(ref _exitCode);
                        case PoolProtocol.Kill:
                            Environment.Exit(137);
                            return 137;
                        default:
                            break; // heartbeat
                    }
                }
            }
        }
        finally
        {
            _lifetime.Cancel();
            foreach (var fetch in _fetches.Values)
                fetch.TrySetCanceled();
            await heartbeats.ConfigureAwait(false);
            current?.Dispose();
        }
    }

    /// <summary>Runs a task whose assembly this process has, or the pool can ship; refuses it otherwise.</summary>
    private Task StartTask(long taskId, string assembly, ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        if (_shipped is not null && _shipped.Has(assembly))
            return RunShippedTaskAsync(taskId, assembly, call, cancellationToken);
        if (_loadable.Contains(assembly))
            return RunTaskAsync(taskId, call, cancellationToken);
        if (CanLoad(assembly, out var error))
        {
            _loadable.Add(assembly);
            return RunTaskAsync(taskId, call, cancellationToken);
        }

        if (_shipped is not null)
            return RunShippedTaskAsync(taskId, assembly, call, cancellationToken);
        return RefuseAsync(taskId, NotShippableReason(assembly, error));
    }

    private async Task RunTaskAsync(long taskId, ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        // Off the receive loop, so a CANCEL can arrive while the task runs.
        await Task.Yield();
        var outcome = await ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        await SendDoneAsync(taskId, outcome).ConfigureAwait(false);
    }

    /// <summary>Fetches the task's assembly from the pool (once), then runs the task with the shipped context as the one reflection loads into.</summary>
    private async Task RunShippedTaskAsync(long taskId, string assembly, ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        ShippedAssemblyContext.Acquired acquired;
        try
        {
            acquired = await _shipped!.AcquireAsync(assembly).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            // Cancelled while its code was on its way: the pool ends the task as cancelled.
            await SendDoneAsync(taskId, Invocation.EncodeException(e)).ConfigureAwait(false);
            return;
        }

        if (acquired.Assembly is null)
        {
            await RefuseAsync(taskId, acquired.Reason).ConfigureAwait(false);
            return;
        }

        var outcome = await ExecuteShippedAsync(call, cancellationToken).ConfigureAwait(false);
        await SendDoneAsync(taskId, outcome).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a call with the shipped context as the contextual reflection context: the method's
    /// Assembly.Load by name (and every load its code does by name) resolves there, not in the default context.
    /// The scope is an AsyncLocal, so it follows the task's awaits and ends with this call.
    /// </summary>
    private ValueTask<byte[]> ExecuteShippedAsync(ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        // The task's token goes with its code (an AsyncLocal, like the reflection scope), so a dependency it
        // waits for stops waiting when the task is cancelled.
        var outer = ShippedAssemblyContext.TaskCancellation.Value;
        ShippedAssemblyContext.TaskCancellation.Value = cancellationToken;
        try
        {
            using (_shipped!.EnterContextualReflection())
                return ExecuteAsync(call, cancellationToken);
        }
        finally
        {
            ShippedAssemblyContext.TaskCancellation.Value = outer;
        }
    }

    private async Task SendDoneAsync(long taskId, byte[] outcome)
    {
        if (Volatile.Read(ref s_outOfMemory) != 0)
            Environment.Exit(WorkerCrashedException.OutOfMemoryExitCode);
        var done = new Message(PoolProtocol.Header(PoolProtocol.Done, taskId, _reportMemory ? Environment.WorkingSet : 0), new Frame(outcome));
        await _dealer.SendAsync(done, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RefuseAsync(long taskId, string reason)
        => await _dealer.SendAsync(new Message(PoolProtocol.Header(PoolProtocol.Refused, taskId), PoolProtocol.Text(reason)), CancellationToken.None).ConfigureAwait(false);

    /// <summary>Asks the pool for an assembly; completes when its answer arrives (the receive loop delivers it).</summary>
    private async Task<ShippedAssemblyContext.Shipment> FetchAsync(string assemblyName)
    {
        var id = Interlocked.Increment(ref _nextFetch);
        var answer = new TaskCompletionSource<ShippedAssemblyContext.Shipment>(TaskCreationOptions.RunContinuationsAsynchronously);
        _fetches[id] = answer;
        try
        {
            await _dealer.SendAsync(new Message(PoolProtocol.Header(PoolProtocol.Fetch, id), PoolProtocol.Text(assemblyName)), _lifetime.Token).ConfigureAwait(false);
            return await answer.Task.WaitAsync(FetchTimeout, _lifetime.Token).ConfigureAwait(false);
        }
        finally
        {
            _fetches.TryRemove(id, out _);
        }
    }

    /// <summary>A remote worker's initializer, sent by the pool: its assembly shipped if need be; on failure the worker exits.</summary>
    private async Task InitializeRemoteAsync(ReadOnlyMemory<byte> initializer, CancellationToken stop)
    {
        await Task.Yield();
        var ok = false;
        var assembly = Invocation.AssemblyNameOf(initializer);
        if (assembly is not null && !CanLoad(assembly, out _) && _shipped is not null)
        {
            var acquired = await _shipped.AcquireAsync(assembly).ConfigureAwait(false);
            if (acquired.Assembly is not null)
            {
                ok = await InitializeAsync(_dealer, initializer, stop, _shipped).ConfigureAwait(false);
            }
            else
            {
                var failure = Invocation.EncodeException(new TaskRefusedException($"The pool's initializer cannot run on this worker: {acquired.Reason}"));
                await _dealer.SendAsync(new Message(PoolProtocol.Header(PoolProtocol.InitializerFailed), new Frame(failure)), CancellationToken.None).ConfigureAwait(false);
            }
        }
        else
        {
            ok = await InitializeAsync(_dealer, initializer, stop).ConfigureAwait(false);
        }

        if (!ok)
        {
            Volatile.Write(ref _exitCode, 1);
            await _lifetime.CancelAsync().ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref _initialized, 1);
        await _dealer.SendAsync(Ready(_settings, 1), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// The pool went silent (it stopped, or the connection broke): an assembly asked of it will not come, so the
    /// fetches end now rather than at <see cref="FetchTimeout"/>. Otherwise the task waiting for its code would
    /// hold this worker, and the receive loop with it, for minutes after a new pool took it on.
    /// </summary>
    private void AbandonFetches()
    {
        foreach (var (id, fetch) in _fetches)
        {
            if (_fetches.TryRemove(id, out _))
                fetch.TrySetException(new TimeoutException("The pool went silent before it answered."));
        }
    }

    private static async Task HeartbeatAsync(DealerSocket dealer, Settings settings, Func<long> lastHeard, Action poolSilent, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var silence = Stopwatch.GetElapsedTime(lastHeard());
                // After a long silence the pool may be a new one that does not know us: introduce ourselves again.
                var kind = silence > settings.HeartbeatTimeout ? PoolProtocol.Ready : PoolProtocol.Heartbeat;
                if (kind == PoolProtocol.Ready)
                    poolSilent();
                var message = kind == PoolProtocol.Ready ? Ready(settings, 0) : new Message(PoolProtocol.Header(PoolProtocol.Heartbeat));
                if (!dealer.TrySend(message, TimeSpan.Zero))
                    message.Dispose();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static Message Ready(Settings settings, int initialized)
        => new(PoolProtocol.Header(PoolProtocol.Ready, Environment.ProcessId, initialized), PoolProtocol.Text(settings.Tag), PoolProtocol.Text(Environment.MachineName));

    /// <summary>Runs the pool's initializer; on failure tells the pool why and returns false (the worker then exits).</summary>
    private static async Task<bool> InitializeAsync(DealerSocket dealer, ReadOnlyMemory<byte> initializer, CancellationToken stop, ShippedAssemblyContext? shipped = null)
    {
        byte[] outcome;
        if (shipped is null)
        {
            outcome = await ExecuteAsync(initializer, stop).ConfigureAwait(false);
        }
        else
        {
            ValueTask<byte[]> pending;
            using (shipped.EnterContextualReflection())
                pending = ExecuteAsync(initializer, stop);
            outcome = await pending.ConfigureAwait(false);
        }

        if (!Invocation.IsException(outcome))
            return true;
        await dealer.SendAsync(new Message(PoolProtocol.Header(PoolProtocol.InitializerFailed), new Frame(outcome)), CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    /// <summary>Runs a call; a call this worker cannot even decode becomes an exception outcome too.</summary>
    private static async ValueTask<byte[]> ExecuteAsync(ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        try
        {
            return await Invocation.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Invocation.EncodeException(e);
        }
    }

    /// <summary>Whether this process has (or can load) the task's assembly in its default context; if not, the loader's error.</summary>
    private static bool CanLoad(string assemblyName, out string error)
    {
        error = "";
        try
        {
            Assembly.Load(new AssemblyName(assemblyName));
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            error = e.GetType().Name;
            return false;
        }
    }

    /// <summary>Why a worker that may not receive code refuses a task it has no code for, and what to set so it can.</summary>
    private string NotShippableReason(string assemblyName, string error)
    {
        var how = _settings.IsRemote
            ? $"Deploy the app on the worker's machine and start the worker with --load PATH (or start the app itself with {ProcessPoolWorker.ConnectVariable}), "
              + "or let the pool ship it: Baton ships code only over CURVE with the worker authenticating the pool, so give the pool "
              + "ProcessPoolOptions.Security = SocketSecurity.CurveServer(its secret key) and start the worker with --curve-client SECRETKEYFILE --curve-serverkey POOLKEY "
              + $"(ProcessPoolWorkerOptions.CurveSecretKey and CurveServerKey; for the app itself {ProcessPoolWorker.CurveClientVariable} and {ProcessPoolWorker.CurveServerKeyVariable})."
              + (_settings.Security.Mechanism == "NULL" ? "" : $" This worker's connection is {_settings.Security}, not a CURVE client.")
            : "A local worker runs the pool's own app: this should not happen.";
        return $"this worker cannot load the task's assembly '{assemblyName}' ({error}). {how}";
    }
}
