namespace Baton.Engine;

/// <summary>
/// A one-shot timer of an <see cref="IoThread"/>: its callback runs on the I/O thread, so it fires even
/// when the application has every thread-pool thread blocked. Reusable: <see cref="IoThread.Schedule"/>
/// again after it fired or was cancelled.
/// </summary>
internal sealed class IoTimer : IDisposable
{
    private readonly IoThread _thread;
    private readonly Action<object?> _callback;
    private readonly object? _state;
    private volatile bool _cancelled;

    public IoTimer(IoThread thread, Action<object?> callback, object? state)
    {
        _thread = thread;
        _callback = callback;
        _state = state;
    }

    /// <summary>When it is due (Environment.TickCount64); written before it is queued.</summary>
    internal long Due { get; set; }

    /// <summary>Moves on every (re)schedule, so a stale entry of the thread's heap is recognised and skipped.</summary>
    internal int Generation { get; set; }

    internal bool IsCancelled => _cancelled;

    internal IoThread Thread => _thread;

    public void Start(TimeSpan due)
    {
        _cancelled = false;
        _thread.Schedule(this, Environment.TickCount64 + (long)Math.Ceiling(due.TotalMilliseconds));
    }

    /// <summary>Cancels it (from any thread): the entry stays in the heap until due, then is skipped.</summary>
    public void Dispose() => _cancelled = true;

    internal void Fire()
    {
        if (!_cancelled)
        {
            _callback(_state);
        }
    }
}
