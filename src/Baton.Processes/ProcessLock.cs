using System.Diagnostics;
using Baton.Processes.Internal;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// A named lock shared by processes on one machine, like Python's <c>multiprocessing.Lock</c>: at most one
/// process holds it at a time. When the holder dies (even by kill -9), the next process to wait for the lock
/// takes it over and is told so through <see cref="ProcessLockScope.Abandoned"/>.
/// </summary>
/// <remarks>
/// <para>The lock belongs to a process, not a thread: any thread of the holding process may release it (so an
/// <c>await</c> between acquire and release is fine), and a thread of another process that tries gets a
/// <see cref="SynchronizationLockException"/>. It is not reentrant: acquiring it again in the holding process
/// waits like anyone else.</para>
/// <para>The lock word in shared memory holds the holder's process id (and a bit saying somebody sleeps), so
/// an uncontended acquire and release are one compare-and-swap each. A contended acquirer spins briefly, then
/// sleeps on a futex in slices of 50 ms; after a slice with no wake-up it checks that the holder's process
/// still exists and takes the lock over when it does not. All processes using a lock must share a pid
/// namespace (as processes of one machine do, unless containers share /dev/shm).</para>
/// <para>The lock lives in a shared memory block (<see cref="SharedMemory"/>); it disappears when the last
/// process that has it open disposes it or dies.</para>
/// </remarks>
[MessagePackFormatter(typeof(ProcessLockFormatter))]
public sealed unsafe class ProcessLock : IDisposable, IScopedLock
{
    private const int WaitersBit = 0x4000_0000;
    private const int PidMask = 0x3FFF_FFFF;
    private const int SpinCount = 20;
    private static readonly TimeSpan LivenessInterval = TimeSpan.FromMilliseconds(50);

    private readonly SharedMemory _memory;
    private readonly int* _word;
    private readonly long* _generation;
    private readonly int _pid = Environment.ProcessId;

    // Waiters in futex sleeps count themselves in (2 per waiter, bit 0 = disposed) so that Dispose never
    // unmaps the word under a sleeping thread; the uncontended path does not pay for it.
    private int _state;

    // The lock inside a SharedValue, SharedArray or ProcessRLock: only its container closes it.
    private readonly bool _ownedByContainer;

    // The generation of this instance's latest acquisition, to release it at Dispose.
    private long _lastGeneration;

    internal ProcessLock(SharedMemory memory, string name, bool ownedByContainer = false)
    {
        _ownedByContainer = ownedByContainer;
        _memory = memory;
        Name = name;
        _word = (int*)(memory.Pointer + SharedLayout.LockOffset);
        _generation = (long*)(memory.Pointer + SharedLayout.GenerationOffset);
        Debug.Assert(_pid is > 0 and <= PidMask);
    }

    /// <summary>The block the lock lives in (for shared values and arrays, their data follows the lock).</summary>
    internal SharedMemory Memory => _memory;

    /// <summary>The lock's name, as given to <see cref="Open"/> in other processes.</summary>
    public string Name { get; }

    /// <summary>The id of the process that holds the lock, or 0 when it is free (a snapshot).</summary>
    public int OwnerProcessId
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref *_word) & PidMask;
        }
    }

    /// <summary>Creates a new, free lock (a null <paramref name="name"/> generates one; see <see cref="Name"/>).</summary>
    /// <exception cref="ArgumentException">The name is not a valid shared memory name.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static ProcessLock Create(string? name = null)
    {
        var memory = SharedMemory.Create(name, SharedLayout.DataOffset,
            static block => SharedLayout.Write(block, SharedLayout.LockMagic, 0, 0, string.Empty));
        return new ProcessLock(memory, memory.Name);
    }

    /// <summary>Opens the lock another process created.</summary>
    /// <exception cref="FileNotFoundException">No block of that name exists.</exception>
    /// <exception cref="InvalidDataException">The block of that name is not a lock.</exception>
    public static ProcessLock Open(string name)
    {
        var memory = SharedMemory.Open(name);
        try
        {
            SharedLayout.Validate(memory, SharedLayout.LockMagic, nameof(ProcessLock), 0, string.Empty);
            return new ProcessLock(memory, name);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the lock is free and takes it; <paramref name="timeout"/> null or
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.
    /// </summary>
    /// <exception cref="TimeoutException">The lock stayed held for the whole timeout.</exception>
    public ProcessLockScope Acquire(TimeSpan? timeout = null)
    {
        ThrowIfDisposed();
        if (Interlocked.CompareExchange(ref *_word, _pid, 0) == 0)
            return Acquired(abandoned: false);
        ValidateTimeout(timeout);
        if (!AcquireSlow(timeout, CancellationToken.None, out ProcessLockScope scope))
            throw TimedOut(timeout!.Value);
        return scope;
    }

    /// <summary>Takes the lock if it is free now, without waiting.</summary>
    public bool TryAcquire(out ProcessLockScope scope) => TryAcquire(TimeSpan.Zero, out scope);

    /// <summary>Takes the lock if it becomes free within <paramref name="timeout"/>; false otherwise.</summary>
    public bool TryAcquire(TimeSpan timeout, out ProcessLockScope scope)
    {
        ThrowIfDisposed();
        if (Interlocked.CompareExchange(ref *_word, _pid, 0) == 0)
        {
            scope = Acquired(abandoned: false);
            return true;
        }
        ValidateTimeout(timeout);
        return AcquireSlow(timeout, CancellationToken.None, out scope);
    }

    /// <summary>
    /// Waits for the lock without blocking the caller's thread (a waiting acquisition sleeps on a thread of its
    /// own) until it is taken or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public ValueTask<ProcessLockScope> AcquireAsync(CancellationToken cancellationToken = default) =>
        AcquireAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>As <see cref="AcquireAsync(CancellationToken)"/>, giving up after <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">The lock stayed held for the whole timeout.</exception>
    public ValueTask<ProcessLockScope> AcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<ProcessLockScope>(cancellationToken);
        if (Interlocked.CompareExchange(ref *_word, _pid, 0) == 0)
            return new ValueTask<ProcessLockScope>(Acquired(abandoned: false));
        ValidateTimeout(timeout);
        // futex(2) only sleeps a thread: the wait runs on a dedicated one, woken for cancellation by a wake-all.
        return new ValueTask<ProcessLockScope>(Task.Factory.StartNew(() =>
        {
            if (!AcquireSlow(timeout, cancellationToken, out ProcessLockScope scope))
                throw TimedOut(timeout);
            return scope;
        }, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));
    }

    /// <summary>Releases the lock, which this process must hold.</summary>
    /// <exception cref="SynchronizationLockException">The lock is free, or another process holds it.</exception>
    public void Release()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) % 2 != 0, this);
        ReleaseHeld();
    }

    private void ReleaseHeld()
    {
        int word = Volatile.Read(ref *_word);
        if ((word & PidMask) != _pid)
        {
            throw new SynchronizationLockException(word == 0
                ? $"Process lock '{Name}' is not held; only its holder may release it."
                : $"Process lock '{Name}' is held by process {word & PidMask}, not by this process ({_pid}); only its holder may release it.");
        }
        if (Interlocked.CompareExchange(ref *_word, 0, _pid) == _pid)
            return;
        // Somebody sleeps (the waiters bit is set): free the word and wake one; it takes the lock with the bit
        // set again, so its own release wakes the next.
        Interlocked.Exchange(ref *_word, 0);
        Futex.Wake(_word, 1);
    }

    /// <summary>
    /// Closes this process's handle on the lock. If this instance's latest acquisition still holds it, it is
    /// released first; waiting acquisitions on this instance fail with <see cref="ObjectDisposedException"/>.
    /// The lock of a <see cref="SharedValue{T}"/> or <see cref="SharedArray{T}"/> closes with its owner instead.
    /// </summary>
    public void Dispose()
    {
        if (!_ownedByContainer)
            DisposeCore();
    }

    /// <summary>Closes the lock and the block it lives in.</summary>
    internal void DisposeCore()
    {
        // Mark disposed and count ourselves in at once, so the mapping stays while we release and wake.
        int state;
        do
        {
            state = Volatile.Read(ref _state);
            if (state % 2 != 0)
                return;
        }
        while (Interlocked.CompareExchange(ref _state, (state | 1) + 2, state) != state);
        int word = Volatile.Read(ref *_word);
        if ((word & PidMask) == _pid && Volatile.Read(ref *_generation) == _lastGeneration)
            ReleaseHeld();
        if (state != 0)
            Futex.Wake(_word, int.MaxValue); // sleepers on this instance re-check, see Dispose and leave
        LeaveWaiting();
    }

    /// <inheritdoc />
    public override string ToString() => $"ProcessLock '{Name}'";

    /// <summary>Called by a scope: releases only the acquisition the scope stands for.</summary>
    void IScopedLock.ReleaseScope(long token)
    {
        long generation = token;
        if (Volatile.Read(ref _state) % 2 != 0)
            return;
        int word = Volatile.Read(ref *_word);
        if ((word & PidMask) == _pid && Volatile.Read(ref *_generation) == generation)
            Release();
    }

    private ProcessLockScope Acquired(bool abandoned)
    {
        // Only the holder writes the generation; it tells one acquisition's scope from the next.
        long generation = *_generation + 1;
        Volatile.Write(ref *_generation, generation);
        _lastGeneration = generation;
        return new ProcessLockScope(this, generation, abandoned);
    }

    private bool AcquireSlow(TimeSpan? timeout, CancellationToken cancellationToken, out ProcessLockScope scope)
    {
        // Count ourselves in so Dispose leaves the mapping alone while we sleep on it.
        while (true)
        {
            int state = Volatile.Read(ref _state);
            ObjectDisposedException.ThrowIf(state % 2 != 0, this);
            if (Interlocked.CompareExchange(ref _state, state + 2, state) == state)
                break;
        }
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static self => ((ProcessLock)self!).WakeAll(), this)
                : default;
            bool acquired = AcquireWaiting(timeout, cancellationToken, out scope);
            if (acquired && Volatile.Read(ref _state) % 2 != 0)
            {
                // Disposed while we won the lock: Dispose could not see this acquisition, so give it back.
                ReleaseHeld();
                throw new ObjectDisposedException(ToString());
            }
            return acquired;
        }
        finally
        {
            LeaveWaiting();
        }
    }

    /// <summary>The last one out of a disposed lock (a waiter or Dispose itself) unmaps the block.</summary>
    private void LeaveWaiting()
    {
        if (Interlocked.Add(ref _state, -2) == 1)
            _memory.Dispose();
    }

    private bool AcquireWaiting(TimeSpan? timeout, CancellationToken cancellationToken, out ProcessLockScope scope)
    {
        bool bounded = timeout is { } t && t != Timeout.InfiniteTimeSpan;
        long start = Stopwatch.GetTimestamp();

        // A short spin first: a holder on another core often releases within microseconds.
        var spin = new SpinWait();
        for (int i = 0; i < SpinCount; i++)
        {
            if (Volatile.Read(ref *_word) == 0 && Interlocked.CompareExchange(ref *_word, _pid, 0) == 0)
            {
                scope = Acquired(abandoned: false);
                return true;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }

        bool checkHolder = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) % 2 != 0, this);
            int word = Volatile.Read(ref *_word);
            if (word == 0)
            {
                // Others may be asleep: keep the waiters bit so our release wakes one.
                if (Interlocked.CompareExchange(ref *_word, _pid | WaitersBit, 0) == 0)
                {
                    scope = Acquired(abandoned: false);
                    return true;
                }
                continue;
            }
            int holder = word & PidMask;
            if (checkHolder && holder != 0 && !ProcessLiveness.IsAlive(holder))
            {
                // The holder died holding it: take it over from exactly the word we judged.
                if (Interlocked.CompareExchange(ref *_word, _pid | WaitersBit, word) == word)
                {
                    scope = Acquired(abandoned: true);
                    return true;
                }
                continue;
            }
            if ((word & WaitersBit) == 0)
            {
                if (Interlocked.CompareExchange(ref *_word, word | WaitersBit, word) != word)
                    continue;
                word |= WaitersBit;
            }
            TimeSpan slice = LivenessInterval;
            if (bounded)
            {
                TimeSpan remaining = timeout!.Value - Stopwatch.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                {
                    scope = default;
                    return false;
                }
                if (remaining < slice)
                    slice = remaining;
            }
            // A quiet slice (no wake-up) is the moment to ask whether the holder still exists.
            checkHolder = !Futex.Wait(_word, word, slice);
        }
    }

    // A plain read: enough to stop use after Dispose without costing the uncontended path an interlocked op.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) % 2 != 0, this);

    private void WakeAll() => Futex.Wake(_word, int.MaxValue);

    private static void ValidateTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
    }

    private TimeoutException TimedOut(TimeSpan timeout) =>
        new($"Process lock '{Name}' stayed held by another acquisition for the whole timeout of {timeout}.");
}
