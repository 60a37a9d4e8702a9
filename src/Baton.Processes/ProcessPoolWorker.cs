using System.Diagnostics;
using System.Text;
using Baton.Messages;
using Baton.Processes.Internal;
using Baton.Security;
using Baton.Sockets;

namespace Baton.Processes;

/// <summary>
/// Serves a <see cref="ProcessPool"/> on another machine: <c>baton worker --connect tcp://HOST:PORT</c>
/// runs this, and so does your own app when started with <see cref="ConnectVariable"/> set (its Main does
/// not run). Worker processes are started, and restarted when they crash; each exit is reported to the
/// pool at once, so the task a crashed worker held fails without waiting for a heartbeat timeout.
/// </summary>
/// <remarks>
/// Without security, tasks travel unauthenticated over tcp: run such workers on a trusted network only.
/// With CURVE (<see cref="ProcessPoolWorkerOptions.CurveSecretKey"/> and
/// <see cref="ProcessPoolWorkerOptions.CurveServerKey"/>, the pool's public key) the traffic is encrypted, the
/// workers talk only to that pool, and the pool may ship the assemblies a task needs when the worker lacks
/// them: they are checked by SHA-256 and loaded in an isolated AssemblyLoadContext, one per pool connection.
/// </remarks>
public static class ProcessPoolWorker
{
    /// <summary>The environment variable that makes any app using Baton.Processes a remote worker: <c>BATON_WORKER_CONNECT=tcp://host:port</c>.</summary>
    public const string ConnectVariable = "BATON_WORKER_CONNECT";

    /// <summary>With <see cref="ConnectVariable"/>: how many worker processes (default one per processor).</summary>
    public const string WorkersVariable = "BATON_WORKER_COUNT";

    /// <summary>With <see cref="ConnectVariable"/>: the worker's CURVE secret-key file (as <c>baton keygen</c> writes it); with <see cref="CurveServerKeyVariable"/>, the workers connect as CURVE clients.</summary>
    public const string CurveClientVariable = "BATON_WORKER_CURVE_CLIENT";

    /// <summary>With <see cref="CurveClientVariable"/>: the pool's public key, as 40 Z85 characters or a public-key file.</summary>
    public const string CurveServerKeyVariable = "BATON_WORKER_CURVE_SERVERKEY";

    /// <summary>With <see cref="ConnectVariable"/>: <c>USER:PASS</c>, the workers connect as PLAIN clients.</summary>
    public const string PlainVariable = "BATON_WORKER_PLAIN";

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
        var security = options.ToSecurity();
        var connection = new[] { endpoint, "", security.Mechanism, "", "" };
        if (options.CurveSecretKey is { } secret)
        {
            connection[3] = Convert.ToBase64String(secret);
            connection[4] = Convert.ToBase64String(options.CurveServerKey!);
        }
        else if (options.PlainUserName is { } user)
        {
            connection[3] = user;
            connection[4] = options.PlainPassword!;
        }

        var loads = new string[options.LoadAssemblies.Count];
        for (var i = 0; i < loads.Length; i++)
        {
            loads[i] = Path.GetFullPath(options.LoadAssemblies[i]);
            if (!File.Exists(loads[i]))
                throw new FileNotFoundException($"The assembly to load does not exist: {loads[i]}", loads[i]);
        }

        var supervisorId = $"s.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}";
        await using var reports = new DealerSocket(new SocketOptions { Identity = Encoding.UTF8.GetBytes(supervisorId[..Math.Min(supervisorId.Length, 200)]), Linger = TimeSpan.FromSeconds(2), Security = security });
        reports.Connect(endpoint);

        var slots = new (ChildProcess? Child, string Identity, long Started)[options.Workers];
        var generation = 0;
        ChildProcess StartOne(int slot)
        {
            var identity = $"r.{Environment.MachineName}.{Environment.ProcessId}.{slot}.{++generation}";
            if (identity.Length > 200)
                identity = $"r.{Guid.NewGuid():N}.{slot}.{generation}";
            slots[slot] = (null, identity, Stopwatch.GetTimestamp());
            var settings = (string[])connection.Clone();
            settings[1] = identity;
            var child = ChildProcess.Start<string[], string[], CancellationToken, int>(RunRemoteAsync, settings, loads, default, new ChildProcessOptions
            {
                Name = "remote-worker " + identity,
                Daemon = true,
                Environment = new Dictionary<string, string?> { [ConnectVariable] = null, [CurveClientVariable] = null, [CurveServerKeyVariable] = null, [PlainVariable] = null },
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

    /// <summary>
    /// The worker process's method: load the app's assemblies, then serve the pool. <paramref name="connection"/> is
    /// [endpoint, identity, mechanism, then the CURVE keys in base64 or the PLAIN user and password]: it travels to
    /// the child over its private control socket, never on a command line or in the environment.
    /// </summary>
    internal static Task<int> RunRemoteAsync(string[] connection, string[] loads, CancellationToken stop)
    {
        AssemblyLoader.Load(loads);
        var security = connection[2] switch
        {
            "CURVE" => SocketSecurity.CurveClient(Convert.FromBase64String(connection[3]), Convert.FromBase64String(connection[4])),
            "PLAIN" => SocketSecurity.PlainClient(connection[3], connection[4]),
            _ => SocketSecurity.Null,
        };
        var settings = new WorkerLoop.Settings(connection[0], connection[1], "", Initializer: null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)) { Security = security };
        return WorkerLoop.RunAsync(settings, stop);
    }

    /// <summary>The startup hook's role for <see cref="ConnectVariable"/>: serve the pool, then exit (Main never runs).</summary>
    internal static void RunFromEnvironment(string endpoint)
    {
        var workers = int.TryParse(Environment.GetEnvironmentVariable(WorkersVariable), out var n) && n > 0 ? n : Environment.ProcessorCount;
        ProcessPoolWorkerOptions options;
        try
        {
            options = OptionsFromEnvironment(new ProcessPoolWorkerOptions { Workers = workers });
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"baton: worker: {e.Message}");
            Environment.Exit(2);
            return;
        }

        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var code = RunAsync(endpoint, options, stop.Token).GetAwaiter().GetResult();
        Environment.Exit(code);
    }

    /// <summary>
    /// <paramref name="options"/> with the security the environment asks for (<see cref="CurveClientVariable"/> and
    /// <see cref="CurveServerKeyVariable"/>, or <see cref="PlainVariable"/>); the variables are taken out of the
    /// environment, so processes this one starts do not inherit them.
    /// </summary>
    internal static ProcessPoolWorkerOptions OptionsFromEnvironment(ProcessPoolWorkerOptions options)
    {
        var secretFile = Take(CurveClientVariable);
        var serverKey = Take(CurveServerKeyVariable);
        var plain = Take(PlainVariable);
        if (secretFile is not null || serverKey is not null)
        {
            if (secretFile is null || serverKey is null)
                throw new ArgumentException($"{CurveClientVariable} (the worker's secret-key file) and {CurveServerKeyVariable} (the pool's public key) go together: set both.");
            var keys = CurveKeyFiles.Read(secretFile);
            var secret = keys.SecretKey ?? throw new ArgumentException($"{CurveClientVariable}: {secretFile} holds no secret key (give the NAME.key_secret file).");
            options = options with { CurveSecretKey = secret, CurveServerKey = PublicKeyOf(serverKey, CurveServerKeyVariable) };
        }

        if (plain is not null)
        {
            var colon = plain.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new ArgumentException($"{PlainVariable} takes USER:PASS.");
            options = options with { PlainUserName = plain[..colon], PlainPassword = plain[(colon + 1)..] };
        }

        options.ToSecurity(); // CURVE and PLAIN together are refused here, with the reason
        return options;

        static string? Take(string variable)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            Environment.SetEnvironmentVariable(variable, null);
            return string.IsNullOrEmpty(value) ? null : value;
        }
    }

    /// <summary>A public key given as its 40 Z85 characters or as a key file (NAME.key or NAME.key_secret).</summary>
    internal static byte[] PublicKeyOf(string key, string what)
    {
        if (key.Length == 40 && !File.Exists(key))
        {
            try
            {
                return Z85.Decode(key);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"{what}: not a Z85 key ({e.Message}) nor a key file.", e);
            }
        }

        if (!File.Exists(key))
            throw new ArgumentException($"{what}: '{key}' is neither a 40-character Z85 public key nor a key file.");
        return CurveKeyFiles.ReadPublicKey(key);
    }
}
