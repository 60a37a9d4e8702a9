using Baton.Processes.Internal;

namespace Baton.Processes;

/// <summary>
/// A pool of worker processes running methods of your own app: <see cref="Submit{TResult}(Func{TResult})"/>
/// one call, or map a method over many items (<see cref="MapAsync{T, TResult}"/>, <see cref="MapUnordered{T, TResult}"/>,
/// <see cref="StarmapAsync{T1, T2, TResult}"/>) in chunks. Workers start once and are reused.
/// </summary>
/// <remarks>
/// <para>What it guarantees, where Python's pools do not:</para>
/// <list type="bullet">
/// <item>A worker that dies (exit, kill -9, stack overflow, out of memory) fails only the task it held, with
/// <see cref="WorkerCrashedException"/> naming the task, the pid and the exit code or signal; the pool
/// replaces the worker and carries on. Tasks marked idempotent are retried; a task that keeps killing
/// workers fails with <see cref="PoisonTaskException"/>.</item>
/// <item>Cancelling a pending task means it is never sent; a running task's CancellationToken is signalled
/// in the worker, and the worker is killed and replaced if the task has not stopped after the grace
/// period. Timeouts work the same way and fail the task with <see cref="TimeoutException"/>.</item>
/// <item>No call hangs: every task ends through a result, an exception, a worker's exit (seen through its
/// process), a remote worker's silence, a timeout or shutdown.</item>
/// <item>Workers are recycled after <see cref="ProcessPoolOptions.MaxTasksPerWorker"/> tasks or above
/// <see cref="ProcessPoolOptions.MaxWorkerMemory"/>, without holding up other tasks.</item>
/// </list>
/// <para>Disposing the pool shuts it down with cancel-futures: pending tasks are cancelled and running ones
/// stopped within the grace period. Call <see cref="ShutdownAsync"/> to let them finish first.</para>
/// </remarks>
public sealed partial class ProcessPool : IAsyncDisposable, IDisposable
{
    private readonly PoolDispatcher _dispatcher;

    /// <summary>Starts the pool's workers.</summary>
    /// <param name="options">How the pool runs; null for the defaults (one worker per processor).</param>
    /// <exception cref="ArgumentException">The initializer captures state or its arguments cannot be serialized.</exception>
    public ProcessPool(ProcessPoolOptions? options = null)
    {
        Options = options ?? ProcessPoolOptions.Default;
        byte[]? initializer = null;
        if (Options.Initializer is { } init)
        {
            var arguments = new object?[Options.InitializerArguments.Count];
            for (var i = 0; i < arguments.Length; i++)
                arguments[i] = Options.InitializerArguments[i];
            initializer = Invocation.EncodeCall(init, arguments);
        }

        _dispatcher = new PoolDispatcher(Options, initializer);
    }

    /// <summary>The options the pool runs with.</summary>
    public ProcessPoolOptions Options { get; }

    /// <summary>The tcp endpoint remote workers join at, as bound (the real port when <see cref="ProcessPoolOptions.Listen"/> asked for port 0); null when the pool does not listen.</summary>
    public string? Endpoint => _dispatcher.RemoteEndpoint;

    /// <summary>The process ids of the workers ready now (local and remote).</summary>
    public async Task<IReadOnlyList<int>> GetWorkerPidsAsync() => await _dispatcher.GetWorkerPidsAsync().ConfigureAwait(false);

    /// <summary>Waits until <paramref name="count"/> workers are ready (local ones started, remote ones joined).</summary>
    /// <param name="count">How many workers to wait for.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <exception cref="InvalidOperationException">The pool shut down or cannot start workers.</exception>
    public Task WaitForWorkersAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _dispatcher.WaitForWorkersAsync(count, cancellationToken);
    }

    /// <summary>
    /// Stops taking tasks and shuts the workers down (concurrent.futures' shutdown).
    /// </summary>
    /// <param name="wait">Wait until every task has ended and every worker has exited; false returns at once.</param>
    /// <param name="cancelFutures">Cancel pending tasks and stop running ones (their workers are killed after the grace period); false lets them finish.</param>
    public async Task ShutdownAsync(bool wait = true, bool cancelFutures = false)
    {
        _dispatcher.BeginShutdown(cancelFutures);
        if (wait)
            await _dispatcher.Stopped.ConfigureAwait(false);
    }

    /// <summary>Shuts down with cancel-futures and waits for the workers to exit.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(wait: true, cancelFutures: true).ConfigureAwait(false);

    /// <summary>Shuts down with cancel-futures and waits for the workers to exit.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void ThrowIfShutDown()
    {
        if (_dispatcher.IsShuttingDown)
            throw new InvalidOperationException("The pool is shutting down: it takes no new tasks.");
    }
}
