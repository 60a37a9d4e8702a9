namespace Baton.Processes.Internal;

/// <summary>What a <see cref="ProcessLockScope"/> releases.</summary>
internal interface IScopedLock
{
    /// <summary>Releases the acquisition identified by <paramref name="token"/> if it is still held; else nothing.</summary>
    void ReleaseScope(long token);
}
