using System.Threading.Tasks.Sources;

namespace Baton.Engine;

/// <summary>
/// A reusable awaitable for one operation at a time (a read, a write, a delay), completed by an I/O
/// thread. Its continuation runs inline on the completing thread, so the awaiting loop goes on there
/// rather than on the thread pool. Allocation-free per operation.
/// </summary>
internal sealed class IoOperation : IValueTaskSource<int>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<int> _core;

    /// <summary>Readies it for the next operation; complete it only after this.</summary>
    public ValueTask<int> Arm()
    {
        _core.Reset();
        return new ValueTask<int>(this, _core.Version);
    }

    public ValueTask ArmVoid()
    {
        _core.Reset();
        return new ValueTask(this, _core.Version);
    }

    public void Complete(int result) => _core.SetResult(result);

    public void Fail(Exception exception) => _core.SetException(exception);

    public int GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
