namespace Baton.Processes;

/// <summary>
/// concurrent.futures.ProcessPoolExecutor for .NET: <see cref="Submit{TResult}(Delegate, object?[])"/>
/// returns a Task, <see cref="Map{T, TResult}"/> yields results in order, <see cref="Shutdown"/> takes
/// wait and cancel-futures. A thin layer over <see cref="ProcessPool"/>, with its guarantees: a crashed
/// worker fails only its own task and is replaced; the executor never becomes "broken".
/// </summary>
public sealed class ProcessPoolExecutor : IAsyncDisposable, IDisposable
{
    /// <summary>An executor with <paramref name="maxWorkers"/> worker processes.</summary>
    /// <param name="maxWorkers">Workers; null for <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="options">Further options (their <see cref="ProcessPoolOptions.Workers"/> is replaced by <paramref name="maxWorkers"/> when given).</param>
    public ProcessPoolExecutor(int? maxWorkers = null, ProcessPoolOptions? options = null)
    {
        var settings = options ?? ProcessPoolOptions.Default;
        if (maxWorkers is { } workers)
            settings = settings with { Workers = workers };
        Pool = new ProcessPool(settings);
    }

    /// <summary>The pool underneath, for what the executor's shape does not offer.</summary>
    public ProcessPool Pool { get; }

    /// <summary>Schedules <paramref name="method"/>(<paramref name="arguments"/>) and returns its future.</summary>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="arguments">The arguments.</param>
    public Task<TResult> Submit<TResult>(Delegate method, params object?[] arguments) => Pool.Submit<TResult>(PoolTaskOptions.Default, method, arguments);

    /// <summary>
    /// Runs <paramref name="method"/> over <paramref name="items"/> and yields the results in order, as
    /// concurrent.futures' map does; the first failure is thrown when its result is reached.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="items">The items.</param>
    /// <param name="timeout">The longest wait for all results; <see cref="TimeoutException"/> after it.</param>
    /// <param name="chunkSize">Items per task (concurrent.futures' default is 1; 0 here takes multiprocessing's default, much faster).</param>
    public IEnumerable<TResult> Map<T, TResult>(Func<T, TResult> method, IEnumerable<T> items, TimeSpan? timeout = null, int chunkSize = 0)
    {
        using var stop = new CancellationTokenSource();
        var results = Pool.MapAsync(method, items, chunkSize, progress: null, stop.Token);
        try
        {
            if (timeout is { } limit && !results.Wait(limit))
                throw new TimeoutException($"Map did not finish within {limit}.");
        }
        catch (TimeoutException)
        {
            stop.Cancel();
            throw;
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // As the results are reached in order: the first failure, as itself.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        return results.GetAwaiter().GetResult();
    }

    /// <summary>Stops taking tasks; see <see cref="ProcessPool.ShutdownAsync"/>.</summary>
    /// <param name="wait">Wait until every task has ended and the workers have exited.</param>
    /// <param name="cancelFutures">Cancel pending tasks and stop running ones within the grace period.</param>
    public void Shutdown(bool wait = true, bool cancelFutures = false) => Pool.ShutdownAsync(wait, cancelFutures).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Shutdown"/>.</summary>
    /// <param name="wait">Wait until every task has ended and the workers have exited.</param>
    /// <param name="cancelFutures">Cancel pending tasks and stop running ones within the grace period.</param>
    public Task ShutdownAsync(bool wait = true, bool cancelFutures = false) => Pool.ShutdownAsync(wait, cancelFutures);

    /// <summary>Shuts down as leaving Python's <c>with</c> block does: waits for the tasks, then the workers.</summary>
    public void Dispose() => Shutdown(wait: true, cancelFutures: false);

    /// <summary>Shuts down as leaving Python's <c>with</c> block does: waits for the tasks, then the workers.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(wait: true, cancelFutures: false).ConfigureAwait(false);
}
