using Baton.Sockets;

namespace Baton.Processes;

/// <summary>
/// How a <see cref="ProcessPool"/> runs: how many workers, how they start, when they are recycled, and
/// what happens to tasks when a worker crashes, a task runs too long or is cancelled. Invalid values
/// throw at the property.
/// </summary>
public sealed record ProcessPoolOptions
{
    private readonly int _workers = Environment.ProcessorCount;
    private readonly int? _localWorkers;
    private readonly int _spareWorkers;
    private readonly int _maxTasksPerWorker;
    private readonly long _maxWorkerMemory;
    private readonly TimeSpan? _taskTimeout;
    private readonly int _retries;
    private readonly int _poisonThreshold = 3;
    private readonly TimeSpan _cancellationGracePeriod = TimeSpan.FromSeconds(5);
    private readonly TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _heartbeatTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The defaults.</summary>
    public static ProcessPoolOptions Default { get; } = new();

    /// <summary>Worker processes the pool starts on this machine, unless <see cref="LocalWorkers"/> says otherwise. Default <see cref="Environment.ProcessorCount"/>.</summary>
    public int Workers
    {
        get => _workers;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _workers = value;
        }
    }

    /// <summary>
    /// Worker processes started on this machine: null (default) starts <see cref="Workers"/>; 0 starts
    /// none, for a pool served only by remote workers joining through <see cref="Listen"/>.
    /// </summary>
    public int? LocalWorkers
    {
        get => _localWorkers;
        init
        {
            if (value is { } v)
                ArgumentOutOfRangeException.ThrowIfNegative(v, nameof(LocalWorkers));
            _localWorkers = value;
        }
    }

    /// <summary>
    /// Local workers started beyond <see cref="Workers"/> and kept idle, warm: when a worker crashes, is
    /// killed or recycled, a spare takes the next task at once instead of waiting for a new process to
    /// start, and a new spare is started. At most <see cref="Workers"/> local tasks run at once. Default 0.
    /// </summary>
    public int SpareWorkers
    {
        get => _spareWorkers;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _spareWorkers = value;
        }
    }

    /// <summary>
    /// A tcp endpoint (<c>tcp://0.0.0.0:5555</c>, or port 0 for any free port) where remote workers
    /// (<c>baton worker --connect</c>, or an app started with <c>BATON_WORKER_CONNECT</c>) join the pool.
    /// The bound endpoint is <see cref="ProcessPool.Endpoint"/>. Default none. Without <see cref="Security"/>,
    /// tasks travel unauthenticated and unencrypted: listen on a trusted network only.
    /// </summary>
    public string? Listen { get; init; }

    /// <summary>
    /// The security of the <see cref="Listen"/> socket (local workers talk over a private ipc folder and
    /// are not affected). Use <see cref="SocketSecurity.CurveServer(string)"/> with the pool's secret key:
    /// traffic is encrypted, workers must know the pool's public key (<c>baton worker --curve-serverkey</c>),
    /// and only then may the pool ship code (<see cref="ShipAssemblies"/>). Add
    /// <see cref="CurveAllowDirectory"/> or <see cref="CurveAllowKeys"/> to let only known workers in. Default
    /// none (NULL: anyone who reaches the port joins).
    /// </summary>
    public SocketSecurity? Security { get; init; }

    /// <summary>
    /// With a CURVE <see cref="Security"/>: a folder of workers' public-key files (pyzmq's zmq.auth layout,
    /// <c>NAME.key</c>, as <c>baton keygen</c> writes them); only workers whose key is there (or in
    /// <see cref="CurveAllowKeys"/>) join. Read when the pool starts. The pool then runs its own ZAP
    /// authenticator in a context of its own. Default none: the socket is in <see cref="Context.Default"/>, and any
    /// worker that knows the pool's key joins unless an authenticator the app runs there refuses it.
    /// </summary>
    public string? CurveAllowDirectory { get; init; }

    /// <summary>
    /// With a CURVE <see cref="Security"/>: workers' public keys (40 Z85 characters each) allowed to
    /// join, besides those of <see cref="CurveAllowDirectory"/>. Default none.
    /// </summary>
    public IReadOnlyList<string> CurveAllowKeys { get; init; } = [];

    /// <summary>
    /// Whether the pool ships the assemblies of its tasks (and their dependencies) to a remote worker that
    /// lacks them. Shipping happens only over CURVE (<see cref="Security"/> a CURVE server, the worker a
    /// CURVE client that authenticated the pool's key); otherwise such a task fails with
    /// <see cref="TaskRefusedException"/> saying what to set. Shipped code runs with the worker's rights:
    /// restrict who may join (<see cref="CurveAllowDirectory"/>) if your code is not for every machine that
    /// knows the pool's public key. Default true.
    /// </summary>
    public bool ShipAssemblies { get; init; } = true;

    /// <summary>Tests only: the pool sends a wrong SHA-256 with every shipped assembly.</summary>
    internal bool CorruptShippedHashes { get; init; }

    /// <summary>
    /// A static method (or a lambda that captures nothing) each worker runs once when it starts, before
    /// its first task (Python's initializer). An initializer that throws fails every task not yet
    /// completed and stops the pool. Default none.
    /// </summary>
    public Delegate? Initializer { get; init; }

    /// <summary>The arguments of <see cref="Initializer"/>.</summary>
    public IReadOnlyList<object?> InitializerArguments { get; init; } = [];

    /// <summary>Tasks a worker runs before the pool replaces it with a fresh process (Python's maxtasksperchild); 0 = no limit (default).</summary>
    public int MaxTasksPerWorker
    {
        get => _maxTasksPerWorker;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxTasksPerWorker = value;
        }
    }

    /// <summary>
    /// Working set in bytes above which a worker is replaced after the task it has just finished (a
    /// leaking task); the task's own result is kept. 0 = no limit (default).
    /// </summary>
    public long MaxWorkerMemory
    {
        get => _maxWorkerMemory;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxWorkerMemory = value;
        }
    }

    /// <summary>
    /// The default longest run of a task (a chunk, for the Map family) once a worker has taken it. When
    /// it passes, the task's CancellationToken is signalled, and after <see cref="CancellationGracePeriod"/>
    /// the worker is killed and replaced; the task fails with <see cref="TimeoutException"/>. Null = none (default).
    /// </summary>
    public TimeSpan? TaskTimeout
    {
        get => _taskTimeout;
        init
        {
            if (value is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException(nameof(TaskTimeout), t, "A task timeout is positive, or null for none.");
            _taskTimeout = value == Timeout.InfiniteTimeSpan ? null : value;
        }
    }

    /// <summary>
    /// How many times a task marked idempotent (<see cref="PoolTaskOptions.Idempotent"/>) runs again on a
    /// fresh worker after its worker crashed. Exceptions thrown by the task are never retried. Default 0.
    /// </summary>
    public int Retries
    {
        get => _retries;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _retries = value;
        }
    }

    /// <summary>
    /// Workers a task may kill before it fails with <see cref="PoisonTaskException"/> instead of being
    /// retried again (at least 1). Default 3.
    /// </summary>
    public int PoisonThreshold
    {
        get => _poisonThreshold;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _poisonThreshold = value;
        }
    }

    /// <summary>
    /// How long a running task has to stop after its CancellationToken is signalled (cancellation, timeout,
    /// shutdown with cancel-futures) before its worker is killed and replaced. Default 5 s.
    /// </summary>
    public TimeSpan CancellationGracePeriod
    {
        get => _cancellationGracePeriod;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _cancellationGracePeriod = value;
        }
    }

    /// <summary>How often the pool and remote workers tell each other they are alive. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _heartbeatInterval = value;
        }
    }

    /// <summary>
    /// Silence after which a remote worker counts as dead: its task fails with
    /// <see cref="WorkerCrashedException"/> (or is retried). Local workers are watched through their
    /// process exit at once. Default 10 s.
    /// </summary>
    public TimeSpan HeartbeatTimeout
    {
        get => _heartbeatTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _heartbeatTimeout = value;
        }
    }

    /// <summary>
    /// Environment variables added to each local worker's environment, e.g. <c>DOTNET_GCHeapHardLimit</c>
    /// to cap its managed heap. Default none.
    /// </summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The local worker count these options give.</summary>
    internal int LocalWorkerCount => LocalWorkers ?? Workers;
}
