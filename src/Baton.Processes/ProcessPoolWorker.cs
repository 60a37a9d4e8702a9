using System.Diagnostics;
using System.Text;
using Baton.Messages;
using Baton.Processes.Internal;
using Baton.Sockets;

namespace Baton.Processes;

/// <summary>
/// Serves a <see cref="ProcessPool"/> on another machine: <c>baton worker --connect tcp://HOST:PORT</c>
/// runs this, and so does your own app when started with <see cref="ConnectVariable"/> set (its Main does
/// not run). Worker processes are started, and restarted when they crash; each exit is reported to the
/// pool at once, so the task a crashed worker held fails without waiting for a heartbeat timeout.
/// </summary>
/// <remarks>
/// Tasks travel unauthenticated over tcp: run workers on a trusted network. A worker runs only code it
/// already has (the app deployed there); it never receives code.
/// </remarks>
public static class ProcessPoolWorker
{
    /// <summary>The environment variable that makes any app using Baton.Processes a remote worker: <c>BATON_WORKER_CONNECT=tcp://host:port</c>.</summary>
    public const string ConnectVariable = "BATON_WORKER_CONNECT";

    /// <summary>With <see cref="ConnectVariable"/>: how many worker processes (default one per processor).</summary>
    public const string WorkersVariable = "BATON_WORKER_COUNT";

    private static readonly TimeSpan RestartPause = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs worker processes serving the pool at <paramref name="endpoint"/> until <paramref name="cancellationToken"/>
    /// is signalled; then asks them to stop and waits for them. Returns 0.
    /// </summary>
    /// <param name="endpoint">The pool's tcp endpoint (<see cref="ProcessPool.Endpoint"/>).</param>
    /// <param name="options">Worker count and assemblies to load.</param>
    /// <param name="cancellationToken">Stops the workers.</param>
    /// <exception cref="FileNotFoundException">An assembly to load does not exist.</exception>
    public static async Task<int> RunAsync(string endpoint, ProcessPoolWorkerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        options ??= new ProcessPoolWorkerOptions();
        var loads = new string[options.LoadAssemblies.Count];
        for (var i = 0; i < loads.Length; i++)
        {
            loads[i] = Path.GetFullPath(options.LoadAssemblies[i]);
            if (!File.Exists(loads[i]))
                throw new FileNotFoundException($"The assembly to load does not exist: {loads[i]}", loads[i]);
        }

        var supervisorId = $"s.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}";
        await using var reports = new DealerSocket(new SocketOptions { Identity = Encoding.UTF8.GetBytes(supervisorId[..Math.Min(supervisorId.Length, 200)]), Linger = TimeSpan.FromSeconds(2) });
        reports.Connect(endpoint);

        var slots = new (ChildProcess? Child, string Identity, long Started)[options.Workers];
        var generation = 0;
        ChildProcess StartOne(int slot)
        {
            var identity = $"r.{Environment.MachineName}.{Environment.ProcessId}.{slot}.{++generation}";
            if (identity.Length > 200)
                identity = $"r.{Guid.NewGuid():N}.{slot}.{generation}";
            slots[slot] = (null, identity, Stopwatch.GetTimestamp());
            var child = ChildProcess.Start<string, string, string[], CancellationToken, int>(RunRemoteAsync, endpoint, identity, loads, default, new ChildProcessOptions
            {
                Name = "remote-worker " + identity,
                Daemon = true,
                Environment = new Dictionary<string, string?> { [ConnectVariable] = null },
            });
            slots[slot].Child = child;
            return child;
        }

        for (var i = 0; i < slots.Length; i++)
            StartOne(i);

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var exits = new Task[slots.Length];
                for (var i = 0; i < slots.Length; i++)
                    exits[i] = slots[i].Child!.Exited;
                try
                {
                    await Task.WhenAny(exits).WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                for (var i = 0; i < slots.Length; i++)
                {
                    var (child, identity, started) = slots[i];
                    if (child is null || child.IsAlive)
                        continue;
                    // Tell the pool at once which worker died and how: its task fails now, named precisely.
                    var report = new Message(PoolProtocol.Header(PoolProtocol.Exited, child.Pid, child.ExitCode ?? 0), PoolProtocol.Text(identity));
                    if (!reports.TrySend(report, TimeSpan.FromSeconds(1)))
                        report.Dispose();
                    await child.DisposeAsync().ConfigureAwait(false);
                    if (Stopwatch.GetElapsedTime(started) < RestartPause)
                    {
                        // A worker that dies at once (a bad --load, a broken environment) must not spin.
                        try
                        {
                            await Task.Delay(RestartPause, cancellationToken).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }

                    StartOne(i);
                }
            }
        }
        finally
        {
            foreach (var (child, _, _) in slots)
                child?.RequestStop();
            foreach (var (child, _, _) in slots)
            {
                if (child is null)
                    continue;
                if (!await child.JoinAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
                    child.Kill();
                await child.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }

    /// <summary>The worker process's method: load the app's assemblies, then serve the pool.</summary>
    internal static Task<int> RunRemoteAsync(string endpoint, string identity, string[] loads, CancellationToken stop)
    {
        AssemblyLoader.Load(loads);
        return WorkerLoop.RunAsync(new WorkerLoop.Settings(endpoint, identity, "", Initializer: null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), stop);
    }

    /// <summary>The startup hook's role for <see cref="ConnectVariable"/>: serve the pool, then exit (Main never runs).</summary>
    internal static void RunFromEnvironment(string endpoint)
    {
        var workers = int.TryParse(Environment.GetEnvironmentVariable(WorkersVariable), out var n) && n > 0 ? n : Environment.ProcessorCount;
        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var code = RunAsync(endpoint, new ProcessPoolWorkerOptions { Workers = workers }, stop.Token).GetAwaiter().GetResult();
        Environment.Exit(code);
    }
}
