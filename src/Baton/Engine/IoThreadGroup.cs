namespace Baton.Engine;

/// <summary>A context's fixed set of I/O threads; connections are spread over them in turn, each staying on one for its life.</summary>
internal sealed class IoThreadGroup : IDisposable
{
    private readonly IoThread[] _threads;
    private int _next = -1;

    public IoThreadGroup(int count)
    {
        _threads = new IoThread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new IoThread($"Baton I/O {i}");
        }
    }

    public IoThread Next()
        => _threads.Length == 1 ? _threads[0] : _threads[(int)((uint)Interlocked.Increment(ref _next) % (uint)_threads.Length)];

    public void Dispose()
    {
        foreach (var thread in _threads)
        {
            thread.Dispose();
        }
    }
}
