using Baton.Processes.Internal;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// A named reentrant lock shared by processes on one machine, like Python's <c>multiprocessing.RLock</c>: it
/// belongs to one thread of one process, which may acquire it again (each acquisition released once); other
/// threads, in this process or another, wait. When the holding process dies, the next acquirer takes it over
/// and is told so through <see cref="ProcessLockScope.Abandoned"/>, as with <see cref="ProcessLock"/>.
/// </summary>
/// <remarks>
/// Being thread-affine, it has no async acquire (an <c>await</c> may resume on another thread, which would then
/// not own it): use <see cref="ProcessLock"/> around awaits. The cross-process part is a
/// <see cref="ProcessLock"/>; the owning thread and the depth sit beside its word and are touched only by the
/// holder.
/// </remarks>
[MessagePackFormatter(typeof(ProcessRLockFormatter))]
public sealed unsafe class ProcessRLock : IDisposable, IScopedLock
{
    private readonly ProcessLock _inner;
    private readonly int* _ownerThread;
    private readonly int* _depth;

    private ProcessRLock(SharedMemory memory)
    {
        _inner = new ProcessLock(memory, memory.Name, ownedByContainer: true);
        _ownerThread = (int*)(memory.Pointer + SharedLayout.OwnerThreadOffset);
        _depth = (int*)(memory.Pointer + SharedLayout.RecursionOffset);
    }

    /// <summary>The lock's name, as given to <see cref="Open"/> in other processes.</summary>
    public string Name => _inner.Name;

    /// <summary>The id of the process that holds the lock, or 0 when it is free (a snapshot).</summary>
    public int OwnerProcessId => _inner.OwnerProcessId;

    /// <summary>True when the calling thread holds the lock.</summary>
    public bool IsHeldByCurrentThread =>
        _inner.OwnerProcessId == Environment.ProcessId && Volatile.Read(ref *_ownerThread) == Environment.CurrentManagedThreadId;

    /// <summary>How many times the holder has acquired it without releasing (0 when free; a snapshot).</summary>
    public int RecursionCount => IsHeldByCurrentThread ? Volatile.Read(ref *_depth) : 0;

    /// <summary>Creates a new, free reentrant lock (a null <paramref name="name"/> generates one).</summary>
    /// <exception cref="ArgumentException">The name is not a valid shared memory name.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static ProcessRLock Create(string? name = null) =>
        new(SharedMemory.Create(name, SharedLayout.DataOffset,
            static block => SharedLayout.Write(block, SharedLayout.RLockMagic, 0, 0, string.Empty)));

    /// <summary>Opens the reentrant lock another process created.</summary>
    /// <exception cref="FileNotFoundException">No block of that name exists.</exception>
    /// <exception cref="InvalidDataException">The block of that name is not a reentrant lock.</exception>
    public static ProcessRLock Open(string name)
    {
        var memory = SharedMemory.Open(name);
        try
        {
            SharedLayout.Validate(memory, SharedLayout.RLockMagic, nameof(ProcessRLock), 0, string.Empty);
            return new ProcessRLock(memory);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the lock, or takes it once more when the calling thread already holds it; <paramref name="timeout"/>
    /// null or <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.
    /// </summary>
    /// <exception cref="TimeoutException">Another thread held the lock for the whole timeout.</exception>
    public ProcessLockScope Acquire(TimeSpan? timeout = null)
    {
        if (TryAgain(out ProcessLockScope scope))
            return scope;
        // The inner scope is not disposed: the word is released by Release, when the depth returns to 0.
        return Took(_inner.Acquire(timeout).Abandoned);
    }

    /// <summary>Takes the lock (or takes it again) if it is free within <paramref name="timeout"/>; false otherwise.</summary>
    public bool TryAcquire(TimeSpan timeout, out ProcessLockScope scope)
    {
        if (TryAgain(out scope))
            return true;
        if (!_inner.TryAcquire(timeout, out ProcessLockScope inner))
            return false;
        scope = Took(inner.Abandoned);
        return true;
    }

    /// <summary>Takes the lock (or takes it again) if it is free now, without waiting.</summary>
    public bool TryAcquire(out ProcessLockScope scope) => TryAcquire(TimeSpan.Zero, out scope);

    /// <summary>Releases one acquisition; the lock is free when the holder has released each of them.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        if (!IsHeldByCurrentThread)
            throw new SynchronizationLockException($"Reentrant process lock '{Name}' is not held by this thread; only the thread that acquired it may release it.");
        int depth = *_depth - 1;
        Volatile.Write(ref *_depth, depth);
        if (depth == 0)
        {
            // Forget the owner before freeing the word, so the next holder never sees ours.
            Volatile.Write(ref *_ownerThread, 0);
            _inner.Release();
        }
    }

    /// <summary>Closes this process's handle on the lock (releasing it entirely if the calling thread holds it).</summary>
    public void Dispose()
    {
        if (IsHeldByCurrentThread)
        {
            Volatile.Write(ref *_depth, 0);
            Volatile.Write(ref *_ownerThread, 0);
            _inner.Release();
        }
        _inner.DisposeCore();
    }

    /// <inheritdoc />
    public override string ToString() => $"ProcessRLock '{Name}'";

    /// <summary>A scope's token is the depth it acquired: it releases only while that is still the depth.</summary>
    void IScopedLock.ReleaseScope(long token)
    {
        if (IsHeldByCurrentThread && Volatile.Read(ref *_depth) == token)
            Release();
    }

    private bool TryAgain(out ProcessLockScope scope)
    {
        if (!IsHeldByCurrentThread)
        {
            scope = default;
            return false;
        }
        int depth = *_depth + 1;
        Volatile.Write(ref *_depth, depth);
        scope = new ProcessLockScope(this, depth, abandoned: false);
        return true;
    }

    private ProcessLockScope Took(bool abandoned)
    {
        // A holder that died may have left its thread and depth behind: ours replace them.
        Volatile.Write(ref *_ownerThread, Environment.CurrentManagedThreadId);
        Volatile.Write(ref *_depth, 1);
        return new ProcessLockScope(this, 1, abandoned);
    }
}
