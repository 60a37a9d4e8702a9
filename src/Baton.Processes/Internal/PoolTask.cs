namespace Baton.Processes.Internal;

/// <summary>Where a task is in its life. Only the pool's dispatcher loop changes it.</summary>
internal enum PoolTaskState
{
    Pending,
    Running,
    Finished,
}

/// <summary>Why the pool asked a running task to stop.</summary>
internal enum StopReason
{
    None,
    Cancelled,
    TimedOut,
    Shutdown,
}

/// <summary>
/// One unit of work as the dispatcher sees it: the encoded call, where it runs, and the completion the
/// caller awaits. Completion carries the raw outcome bytes; the caller decodes them on its own thread,
/// so a large result never holds up the dispatcher.
/// </summary>
internal sealed class PoolTask
{
    private string? _name;

    // name: how messages name the task; null to read the method's name out of the call when a message
    // needs it, so a task that ends well never builds it (Submit's case; Map names chunks itself).
    public PoolTask(long id, string? name, string assemblyName, byte[] call, TimeSpan? timeout, bool idempotent, CancellationToken cancellationToken)
    {
        Id = id;
        _name = name;
        AssemblyName = assemblyName;
        Call = call;
        Timeout = timeout;
        Idempotent = idempotent;
        CancellationToken = cancellationToken;
    }

    public long Id { get; }

    /// <summary>The method, as Type.Method, for messages.</summary>
    public string Name => _name ??= Invocation.CallName(Call);

    /// <summary>The assembly holding the method, so a remote worker can refuse what it cannot load.</summary>
    public string AssemblyName { get; }

    public byte[] Call { get; }

    /// <summary>The longest run; null for none.</summary>
    public TimeSpan? Timeout { get; }

    public bool Idempotent { get; }

    public CancellationToken CancellationToken { get; }

    public TaskCompletionSource<ReadOnlyMemory<byte>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationTokenRegistration Registration { get; set; }

    public PoolTaskState State { get; set; }

    public WorkerState? Worker { get; set; }

    public int Attempts { get; set; }

    public int Crashes { get; set; }

    /// <summary>Stopwatch timestamp after which the running task times out; 0 = none.</summary>
    public long Deadline { get; set; }

    public StopReason Stopping { get; set; }

    /// <summary>Stopwatch timestamp after which a task asked to stop gets its worker killed.</summary>
    public long GraceDeadline { get; set; }

    /// <summary>"task 12 (MyApp.Work.Square)": how every message names a task.</summary>
    public string Describe() => $"task {Id} ({Name})";
}
