using System.Runtime.CompilerServices;

namespace Baton.Processes;

/// <summary>
/// concurrent.futures' helpers for any set of tasks (those a <see cref="ProcessPool"/> returns or any
/// other): wait for the first completed, the first exception or all, and take tasks as they complete.
/// </summary>
public static class Futures
{
    /// <summary>
    /// Waits until <paramref name="returnWhen"/> is met or <paramref name="timeout"/> passes, then says
    /// which tasks had completed and which had not. Never throws for a task's failure: look at the tasks.
    /// </summary>
    /// <param name="tasks">The tasks to watch (duplicates count once).</param>
    /// <param name="returnWhen">When to return.</param>
    /// <param name="timeout">The longest wait; null waits as long as the condition needs.</param>
    /// <param name="cancellationToken">Stops the wait (the tasks carry on).</param>
    public static async Task<DoneAndNotDone<TTask>> WaitAsync<TTask>(IEnumerable<TTask> tasks, ReturnWhen returnWhen = ReturnWhen.AllCompleted, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TTask : Task
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var all = new HashSet<TTask>(tasks);
        foreach (var task in all)
            ArgumentNullException.ThrowIfNull(task, nameof(tasks));
        ValidateTimeout(timeout);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
            timeoutSource.CancelAfter(limit);
        var stop = timeoutSource.Token;

        var pending = new List<Task>(all.Count);
        foreach (var task in all)
        {
            if (!task.IsCompleted)
                pending.Add(task);
            else if (Satisfied(task, returnWhen))
                return Split(all);
        }

        // Task.WhenEach, not WhenAny in a loop: that re-registers on every task still pending at each
        // completion, O(n^2) for n tasks.
        try
        {
            await foreach (var finished in Task.WhenEach(pending).WithCancellation(stop).ConfigureAwait(false))
            {
                if (Satisfied(finished, returnWhen))
                    break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: report what is done so far, as concurrent.futures.wait does.
        }

        return Split(all);
    }

    /// <summary>
    /// The tasks in the order they complete (concurrent.futures.as_completed): each yielded task has
    /// completed; await it for its result or exception.
    /// </summary>
    /// <param name="tasks">The tasks to watch (duplicates count once).</param>
    /// <param name="timeout">The longest time to take them all; when it passes with tasks still running, the enumeration throws <see cref="TimeoutException"/> naming how many.</param>
    /// <param name="cancellationToken">Stops the enumeration (the tasks carry on).</param>
    public static async IAsyncEnumerable<TTask> AsCompleted<TTask>(IEnumerable<TTask> tasks, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TTask : Task
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ValidateTimeout(timeout);
        var pending = new List<Task>();
        var seen = new HashSet<TTask>();
        foreach (var task in tasks)
        {
            ArgumentNullException.ThrowIfNull(task, nameof(tasks));
            if (seen.Add(task))
                pending.Add(task);
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
            timeoutSource.CancelAfter(limit);

        // Those already complete come first, in the order given.
        for (var i = 0; i < pending.Count;)
        {
            if (pending[i].IsCompleted)
            {
                var done = (TTask)pending[i];
                pending.RemoveAt(i);
                yield return done;
            }
            else
            {
                i++;
            }
        }

        // Task.WhenEach, not WhenAny in a loop: that re-registers on every task still pending at each
        // completion, O(n^2) for n tasks.
        var remaining = pending.Count;
        var each = Task.WhenEach(pending).WithCancellation(timeoutSource.Token).ConfigureAwait(false).GetAsyncEnumerator();
        try
        {
            while (true)
            {
                try
                {
                    if (!await each.MoveNextAsync())
                        break;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"{remaining} of {seen.Count} tasks had not completed within {timeout}.");
                }

                remaining--;
                yield return (TTask)each.Current;
            }
        }
        finally
        {
            await each.DisposeAsync();
        }
    }

    private static bool Satisfied(Task task, ReturnWhen returnWhen) => returnWhen switch
    {
        ReturnWhen.FirstCompleted => true,
        ReturnWhen.FirstException => task.IsFaulted || task.IsCanceled,
        _ => false,
    };

    private static DoneAndNotDone<TTask> Split<TTask>(HashSet<TTask> all)
        where TTask : Task
    {
        var done = new HashSet<TTask>();
        var notDone = new HashSet<TTask>();
        foreach (var task in all)
            (task.IsCompleted ? done : notDone).Add(task);
        return new DoneAndNotDone<TTask>(done, notDone);
    }

    private static void ValidateTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A timeout is zero or more, or Timeout.InfiniteTimeSpan.");
    }
}
