namespace Baton.Processes;

/// <summary>How one task submitted to a <see cref="ProcessPool"/> runs, where it differs from the pool's options.</summary>
public sealed record PoolTaskOptions
{
    private readonly TimeSpan? _timeout;

    /// <summary>The defaults: the pool's timeout, not idempotent, no cancellation.</summary>
    public static PoolTaskOptions Default { get; } = new();

    /// <summary>
    /// The longest run of the task once a worker has taken it, instead of <see cref="ProcessPoolOptions.TaskTimeout"/>;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none. Null takes the pool's.
    /// </summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        init
        {
            if (value is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException(nameof(Timeout), t, "A task timeout is positive, Timeout.InfiniteTimeSpan, or null for the pool's.");
            _timeout = value;
        }
    }

    /// <summary>
    /// The task may safely run again: when its worker crashes, it is retried on a fresh worker up to
    /// <see cref="ProcessPoolOptions.Retries"/> times. Default false.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>
    /// Cancels the task: a pending task is never sent; a running task's CancellationToken is signalled in
    /// the worker, which is killed and replaced if the task has not stopped after the grace period.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }
}
