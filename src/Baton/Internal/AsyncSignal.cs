namespace Baton.Internal;

/// <summary>
/// A broadcast wake-up for many waiters (senders blocked at HWM, say). Waiters take <see cref="Task"/>,
/// re-check their condition, then await it; <see cref="Pulse"/> completes it and arms a fresh one, so a
/// pulse between the check and the await is never lost. Allocates only when pulsed.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => Volatile.Read(ref _source).Task;

    public void Pulse()
    {
        var current = Volatile.Read(ref _source);
        if (!current.Task.IsCompleted)
        {
            // Only pulse when someone may be waiting on the current task; a completed one was pulsed already.
            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref _source, fresh, current) == current)
            {
                current.TrySetResult();
            }
        }
    }
}
