using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Baton.Internal;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// One of Baton's own I/O threads (Linux), as libzmq's io_thread: an epoll loop over many connections'
/// sockets, a queue of callbacks posted from other threads (woken through an eventfd) and a timer heap
/// (the epoll_wait timeout). Connections' read loops, write loops and heartbeats continue here, so they
/// keep flowing while the application blocks every thread-pool thread: .NET completes its own socket
/// operations, Task.Delay and Timer on the pool. See docs/IO.md.
/// </summary>
internal sealed unsafe class IoThread : IDispatcher, IDisposable
{
    private const int MaxEvents = 256;

    // Posted callbacks run per turn before epoll is asked again, so a flood of posts cannot starve I/O.
    private const int MaxPostedPerTurn = 1024;

    private const ulong WakeToken = 0;

    [ThreadStatic]
    private static IoThread? t_current;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(Action<object?> Callback, object? State)> _posted = new();

    // I/O thread only.
    private readonly PriorityQueue<(IoTimer Timer, int Generation), long> _timers = new();

    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private IReadinessHandler?[] _slots = new IReadinessHandler?[64];
    private int _nextSlot = 1;

    // 1 while the loop is in (or about to enter) epoll_wait with a timeout: a poster must then wake it.
    private int _sleeping;
    private volatile bool _stopping;

    public IoThread(string name)
    {
        _epoll = Epoll.Create();
        _wakeFd = Epoll.CreateEventFd();
        if (Epoll.Add(_epoll, _wakeFd, Epoll.In, WakeToken) is var error and not 0)
        {
            throw new InvalidOperationException($"epoll_ctl failed for the wake-up eventfd: errno {error}");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    /// <summary>True on this I/O thread.</summary>
    public bool IsCurrent => t_current == this;

    /// <summary>True on any Baton I/O thread: code of the application must not go on running here.</summary>
    public static bool OnAnyIoThread => t_current is not null;

    /// <summary>Queues a callback for the I/O thread; allocation-free, wakes the thread only if it sleeps.</summary>
    public void Post(Action<object?> callback, object? state)
    {
        _posted.Enqueue((callback, state));

        // The enqueue is a full fence: either the loop sees the item before it sleeps, or we see it sleeping.
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            Epoll.Signal(_wakeFd);
        }
    }

    /// <summary>Watches <paramref name="socket"/> (edge-triggered, in and out) for <paramref name="handler"/>; returns the registration to pass to <see cref="Unregister"/>.</summary>
    public int Register(NetSocket socket, IReadinessHandler handler)
    {
        int slot;
        lock (_slotsLock)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _nextSlot++;
                if (slot == _slots.Length)
                {
                    var grown = new IReadinessHandler?[_slots.Length * 2];
                    _slots.CopyTo(grown, 0);
                    Volatile.Write(ref _slots, grown);
                }
            }

            _slots[slot] = handler;
        }

        // Held until Unregister: the descriptor cannot be closed (and its number reused) while epoll knows it.
        var added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        var error = Epoll.Add(_epoll, (int)socket.SafeHandle.DangerousGetHandle(), Epoll.In | Epoll.Out | Epoll.ReadHangUp | Epoll.EdgeTriggered, (ulong)slot);
        if (error != 0)
        {
            socket.SafeHandle.DangerousRelease();
            FreeSlot(slot);
            throw new System.Net.Sockets.SocketException(error);
        }

        return slot;
    }

    /// <summary>Stops watching; the slot is reused only after events already fetched for it were handled.</summary>
    public void Unregister(NetSocket socket, int registration)
    {
        Epoll.Remove(_epoll, (int)socket.SafeHandle.DangerousGetHandle());
        socket.SafeHandle.DangerousRelease();
        Post(static state => ((IoThread)((object[])state!)[0]).FreeSlot((int)((object[])state!)[1]), new object[] { this, registration });
    }

    /// <summary>Queues <paramref name="timer"/> to fire at <paramref name="due"/> (Environment.TickCount64), from any thread.</summary>
    public void Schedule(IoTimer timer, long due)
    {
        timer.Due = due;
        if (IsCurrent)
        {
            AddTimer(timer);
        }
        else
        {
            Post(static state => { var t = (IoTimer)state!; t.Thread.AddTimer(t); }, timer);
        }
    }

    /// <summary>Completes on this thread after <paramref name="delay"/>: true, or false once <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        // Not asynchronous: the awaiting loop (reconnect backoff, accept retry) goes on here, not on the pool.
        var elapsed = new TaskCompletionSource<bool>();
        var timer = new IoTimer(this, static state => ((TaskCompletionSource<bool>)state!).TrySetResult(true), elapsed);
        timer.Start(delay);
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(static state =>
            {
                var (thread, timer, elapsed) = ((IoThread, IoTimer, TaskCompletionSource<bool>))state!;
                timer.Dispose();
                thread.Post(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(false), elapsed);
            }, (this, timer, elapsed));
            elapsed.Task.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return elapsed.Task;
    }

    /// <summary>Completes on this thread, after what is already queued: the awaiting code moves here.</summary>
    public Task SwitchToAsync()
    {
        var switched = new TaskCompletionSource();
        Post(static state => ((TaskCompletionSource)state!).TrySetResult(), switched);
        return switched.Task;
    }

    /// <summary>Stops the loop; connections must have ended.</summary>
    public void Dispose()
    {
        _stopping = true;
        Epoll.Signal(_wakeFd);
    }

    private void AddTimer(IoTimer timer)
    {
        timer.Generation++;
        _timers.Enqueue((timer, timer.Generation), timer.Due);
    }

    private void FreeSlot(int slot)
    {
        lock (_slotsLock)
        {
            _slots[slot] = null;
            _freeSlots.Push(slot);
        }
    }

    private void Run()
    {
        t_current = this;
        DeferredWakes.Enable();
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Epoll.EventSize));
        try
        {
            while (!_stopping)
            {
                var more = RunPosted();
                var timeout = RunTimers();
                if (more)
                {
                    timeout = 0;
                }
                else if (timeout != 0)
                {
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (!_posted.IsEmpty)
                    {
                        timeout = 0;
                    }
                }

                var count = Epoll.Wait(_epoll, events, MaxEvents, timeout);
                Volatile.Write(ref _sleeping, 0);
                var slots = Volatile.Read(ref _slots);
                for (var i = 0; i < count; i++)
                {
                    var data = Epoll.DataAt(events, i);
                    if (data == WakeToken)
                    {
                        Epoll.Drain(_wakeFd);
                        continue;
                    }

                    var handler = data < (ulong)slots.Length ? slots[(int)data] : null;
                    if (handler is null)
                    {
                        continue;
                    }

                    try
                    {
                        handler.OnReady(Epoll.EventsAt(events, i));
                        DeferredWakes.Flush();
                    }
                    catch (Exception e)
                    {
                        // Handlers complete operations and the code they resume catches its own errors: a bug. Keep the thread.
                        Debug.Fail("Baton I/O thread: exception in a readiness handler", e.ToString());
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            Epoll.CloseFd(_wakeFd);
            Epoll.CloseFd(_epoll);
        }
    }

    /// <summary>Runs posted callbacks; true when some are left for the next turn.</summary>
    private bool RunPosted()
    {
        for (var i = 0; i < MaxPostedPerTurn; i++)
        {
            if (!_posted.TryDequeue(out var item))
            {
                return false;
            }

            try
            {
                item.Callback(item.State);
                DeferredWakes.Flush();
            }
            catch (Exception e)
            {
                Debug.Fail("Baton I/O thread: exception in a posted callback", e.ToString());
            }
        }

        return !_posted.IsEmpty;
    }

    /// <summary>Fires due timers; returns the milliseconds to the next one, or -1 when none is queued.</summary>
    private int RunTimers()
    {
        if (_timers.Count == 0)
        {
            return -1;
        }

        var now = Environment.TickCount64;
        while (_timers.TryPeek(out var entry, out var due))
        {
            if (entry.Generation != entry.Timer.Generation || entry.Timer.IsCancelled)
            {
                _timers.Dequeue();
                continue;
            }

            if (due > now)
            {
                return (int)Math.Min(due - now, int.MaxValue);
            }

            _timers.Dequeue();
            try
            {
                entry.Timer.Fire();
                DeferredWakes.Flush();
            }
            catch (Exception e)
            {
                Debug.Fail("Baton I/O thread: exception in a timer callback", e.ToString());
            }
        }

        return -1;
    }
}
