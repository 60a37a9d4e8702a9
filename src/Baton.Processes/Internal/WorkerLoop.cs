using System.Diagnostics;
using System.Reflection;
using System.Text;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Processes.Internal;

/// <summary>
/// A worker's side of the pool protocol: connect a DEALER to the pool, run the initializer, say READY,
/// then run one task at a time, keep reading (a CANCEL must reach a running task), and report each
/// outcome with the working set so the pool can recycle a leaking worker.
/// </summary>
internal static class WorkerLoop
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
    }

    private static int s_outOfMemory;

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
        };
        await using var dealer = new DealerSocket(options);
        dealer.Connect(settings.Endpoint);

        var initialized = settings.Initializer is null ? 0 : 1;
        if (settings.Initializer is { } initializer && !await InitializeAsync(dealer, initializer, stop).ConfigureAwait(false))
            return 1;

        await dealer.SendAsync(Ready(settings, initialized), stop).ConfigureAwait(false);

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var lastHeard = Stopwatch.GetTimestamp();
        Task heartbeats = Task.CompletedTask;
        if (settings.IsRemote)
            heartbeats = HeartbeatAsync(dealer, settings, () => Volatile.Read(ref lastHeard), lifetime.Token);

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
                    message = await dealer.ReceiveAsync(lifetime.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    current?.Cancel();
                    await running.ConfigureAwait(false);
                    return 0;
                }

                Volatile.Write(ref lastHeard, Stopwatch.GetTimestamp());
                using (message)
                {
                    var header = message.GetSpan(0);
                    switch (PoolProtocol.KindOf(header))
                    {
                        case PoolProtocol.Task when message.Count >= 3 && PoolProtocol.TryReadInt64(header, 1, out var taskId):
                            await running.ConfigureAwait(false); // the pool sends one at a time; never run two
                            var assembly = PoolProtocol.Text(message.GetSpan(1));
                            if (!CanLoad(assembly, out var reason))
                            {
                                await dealer.SendAsync(new Message(PoolProtocol.Header(PoolProtocol.Refused, taskId), PoolProtocol.Text(reason)), CancellationToken.None).ConfigureAwait(false);
                                break;
                            }

                            current?.Dispose();
                            current = new CancellationTokenSource();
                            currentId = taskId;
                            running = RunTaskAsync(dealer, taskId, message[2].Memory, current.Token);
                            break;
                        case PoolProtocol.Cancel when PoolProtocol.TryReadInt64(header, 1, out var cancelId):
                            if (cancelId == currentId && !running.IsCompleted)
                                current?.Cancel();
                            break;
                        case PoolProtocol.Initialize when message.Count >= 2 && initialized == 0:
                            if (!await InitializeAsync(dealer, message[1].Memory, stop).ConfigureAwait(false))
                                return 1;
                            initialized = 1;
                            await dealer.SendAsync(Ready(settings, initialized), CancellationToken.None).ConfigureAwait(false);
                            break;
                        case PoolProtocol.Stop:
                            await running.ConfigureAwait(false);
                            return 0;
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
            lifetime.Cancel();
            await heartbeats.ConfigureAwait(false);
            current?.Dispose();
        }
    }

    private static async Task RunTaskAsync(DealerSocket dealer, long taskId, ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        // Off the receive loop, so a CANCEL can arrive while the task runs.
        await Task.Yield();
        var outcome = await ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref s_outOfMemory) != 0)
            Environment.Exit(WorkerCrashedException.OutOfMemoryExitCode);
        var done = new Message(PoolProtocol.Header(PoolProtocol.Done, taskId, Environment.WorkingSet), new Frame(outcome));
        await dealer.SendAsync(done, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task HeartbeatAsync(DealerSocket dealer, Settings settings, Func<long> lastHeard, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var silence = Stopwatch.GetElapsedTime(lastHeard());
                // After a long silence the pool may be a new one that does not know us: introduce ourselves again.
                var kind = silence > settings.HeartbeatTimeout ? PoolProtocol.Ready : PoolProtocol.Heartbeat;
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
    private static async Task<bool> InitializeAsync(DealerSocket dealer, ReadOnlyMemory<byte> initializer, CancellationToken stop)
    {
        var outcome = await ExecuteAsync(initializer, stop).ConfigureAwait(false);
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

    /// <summary>Whether this process has (or can load) the task's assembly; if not, why, in words for the pool's caller.</summary>
    private static bool CanLoad(string assemblyName, out string reason)
    {
        reason = "";
        try
        {
            Assembly.Load(new AssemblyName(assemblyName));
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            reason = $"this worker cannot load the task's assembly '{assemblyName}' ({e.GetType().Name}). Deploy the app on the worker's machine and start the worker with --load PATH (or start the app itself with {ProcessPoolWorker.ConnectVariable}). Baton does not ship code to workers: that needs authentication (see the security issue).";
            return false;
        }
    }
}
