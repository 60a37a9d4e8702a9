using Baton.Processes.Internal;

namespace Baton.Processes;

/// <summary>
/// One acquisition of a <see cref="ProcessLock"/> or a <see cref="ProcessRLock"/>: disposing it releases that
/// acquisition. Disposing it again, or a copy of it, does nothing.
/// </summary>
public readonly struct ProcessLockScope : IDisposable
{
    private readonly IScopedLock? _lock;
    private readonly long _generation;

    internal ProcessLockScope(IScopedLock owner, long generation, bool abandoned)
    {
        _lock = owner;
        _generation = generation;
        Abandoned = abandoned;
    }

    /// <summary>
    /// True when the previous holder died while holding the lock (and this acquisition took it over): the data
    /// the lock guards may be half-updated. Like <see cref="System.Threading.AbandonedMutexException"/>, but
    /// reported rather than thrown, because the lock is held either way.
    /// </summary>
    public bool Abandoned { get; }

    /// <summary>Releases the lock if this acquisition still holds it.</summary>
    public void Dispose() => _lock?.ReleaseScope(_generation);
}
