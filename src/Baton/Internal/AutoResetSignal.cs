using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace Baton.Internal;

/// <summary>
/// A single-consumer auto-reset event awaited without allocation: the consumer loop awaits
/// <see cref="WaitAsync"/>, producers call <see cref="Set"/>. A set before the wait is remembered.
/// The waiter resumes on the thread pool, or on the <see cref="IDispatcher"/> it names (a connection's
/// I/O thread, which must not depend on the pool).
/// </summary>
internal sealed class AutoResetSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Signaled = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;
    private IDispatcher? _dispatcher;

    public ValueTask WaitAsync(IDispatcher? dispatcher = null)
    {
        Debug.Assert(Volatile.Read(ref _state) != Waiting, "One consumer: a wait is already pending.");
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return default;
        }

        _core.Reset();

        // Through a dispatcher, Set posts the completion and the continuation runs inline on its thread.
        _dispatcher = dispatcher;
        _core.RunContinuationsAsynchronously = dispatcher is null;
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Signaled between the two steps: consume it and go on.
            Volatile.Write(ref _state, Idle);
            return default;
        }

        return new ValueTask(this, _core.Version);
    }

    public void Set()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            switch (state)
            {
                case Signaled:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting:
                    if (_dispatcher is { } dispatcher)
                    {
                        dispatcher.Post(static signal => ((AutoResetSignal)signal!)._core.SetResult(true), this);
                    }
                    else
                    {
                        _core.SetResult(true);
                    }

                    return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
