using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// Waits until any of several sockets can receive or send, without receiving or sending (libzmq's
/// zmq_poll, pyzmq's zmq.Poller), or receives from whichever is ready (<see cref="ReceiveAllAsync"/>).
/// Every member is thread-safe: sockets may be added and removed while other threads poll.
/// </summary>
/// <remarks>
/// <para>
/// Readiness is level-triggered: a socket stays ready, poll after poll, until what made it ready is
/// used up. "Ready to receive" means a receive would return a message at once: a REQ that has not sent
/// its request, or a REP that owes a reply, is not ready even with messages queued, and messages its
/// type would drop anyway (a stale reply, a request without an envelope) are dropped by the poll rather
/// than reported. As with libzmq, a ready socket can still make a receive wait when another thread
/// takes the message first; poll and receive on the same thread, or use <c>TryReceive(out m, TimeSpan.Zero)</c>.
/// </para>
/// <para>
/// The cost of a poll grows with the sockets that are ready or changed since the last poll, not with
/// the sockets added: an idle socket costs nothing until a message or room arrives. A socket that
/// starts closing while it is in the poller is reported once as <see cref="PollEvents.Closed"/> and
/// dropped. The poller does not own its sockets: disposing it leaves them open.
/// </para>
/// </remarks>
public sealed class Poller : IDisposable, IAsyncDisposable
{
    // How no wake-up is lost: a probe reads the socket's epochs (arrivals, room, turn) before it looks
    // at the state, and arms a one-shot watch with those epochs only for what is not ready; an arm
    // fails if an epoch moved meanwhile, and the probe looks again. A fired watch queues its
    // registration and moves _changed; a poll reads _changed's epoch before it takes the queue, so a
    // watch that fires during a scan makes the poll scan again instead of sleeping. Ready
    // registrations are probed at every scan (level-triggered) until they are not, and then armed.
    private const PollEvents Readiness = PollEvents.Receive | PollEvents.Send;
    private const int MaxRetired = 16;

    private readonly Lock _lock = new();
    private readonly Dictionary<ZmqSocket, Registration> _registrations = new(ReferenceEqualityComparer.Instance);

    // Registrations whose watch fired or that were added: probed by the next scan. Lock-free, because a
    // watch fires on whichever thread notified (an I/O thread, a sender) and may do so inside a scan.
    private readonly ConcurrentQueue<Registration> _signals = new();

    // Moves whenever a registration is signalled: polls with nothing ready wait on it.
    private readonly EventCount _changed = new();

    // Registrations of sockets removed lately, for a socket that comes back (a broker that stops and
    // resumes polling its frontend as workers come and go) to reuse: toggling allocates nothing.
    private readonly Dictionary<ZmqSocket, Registration> _retired = new(ReferenceEqualityComparer.Instance);

    // Timers for PollAsync's timeout, reused while they did not fire.
    private readonly Stack<CancellationTokenSource> _timers = new();

    // Ready at the last scan: probed again by the next one, since they stay ready until used up.
    private List<Registration> _ready = [];
    private List<Registration> _probing = [];
    private long _scans;
    private volatile bool _disposed;

    /// <summary>How many sockets are in the poller.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _registrations.Count;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="socket"/>, to be reported when ready for any of <paramref name="events"/>; for a
    /// socket already added, replaces its events. Polls under way take it into account at once.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="events"/> is not a combination of <see cref="PollEvents.Receive"/> and <see cref="PollEvents.Send"/>.</exception>
    /// <exception cref="NotSupportedException">The socket's type cannot do one of the events (a PUSH cannot receive, a SUB cannot send).</exception>
    /// <exception cref="ObjectDisposedException">The socket or the poller is disposed.</exception>
    public void Add(ZmqSocket socket, PollEvents events = PollEvents.Receive)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (events == PollEvents.None || (events & ~Readiness) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(events), events, "Poll for Receive, Send or both.");
        }

        if ((events & PollEvents.Receive) != 0 && !socket.CanReceive)
        {
            throw new NotSupportedException($"A {socket.Type} socket cannot receive, so it cannot be polled for Receive.");
        }

        if ((events & PollEvents.Send) != 0 && !socket.CanSend)
        {
            throw new NotSupportedException($"A {socket.Type} socket cannot send, so it cannot be polled for Send.");
        }

        if (socket.IsClosed)
        {
            throw new ObjectDisposedException(socket.GetType().Name, "The socket is closed.");
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_registrations.TryGetValue(socket, out var registration))
            {
                if (_retired.Remove(socket, out registration))
                {
                    registration.Removed = false;
                }
                else
                {
                    registration = new Registration(this, socket);
                }

                _registrations.Add(socket, registration);
            }

            registration.Events = events;
            registration.Signal();
        }
    }

    /// <summary>Removes <paramref name="socket"/>; false when it was not in the poller (or was dropped as closed).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    public bool Remove(ZmqSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        lock (_lock)
        {
            if (!_registrations.TryGetValue(socket, out var registration))
            {
                return false;
            }

            Drop(registration);
            if (_retired.Count >= MaxRetired)
            {
                _retired.Clear();
            }

            _retired[socket] = registration;
            return true;
        }
    }

    /// <summary>True when <paramref name="socket"/> is in the poller.</summary>
    public bool Contains(ZmqSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        lock (_lock)
        {
            return _registrations.ContainsKey(socket);
        }
    }

    /// <summary>
    /// Waits until a socket is ready or <paramref name="timeout"/> passes, and returns the ready sockets
    /// (none after a timeout). Allocates a result per call; loops should pass their own
    /// <see cref="PollResult"/> to <see cref="PollAsync(PollResult, TimeSpan, CancellationToken)"/>.
    /// </summary>
    /// <inheritdoc cref="PollAsync(PollResult, TimeSpan, CancellationToken)" path="/exception"/>
    public async ValueTask<PollResult> PollAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = new PollResult();
        await PollAsync(result, timeout, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Waits until a socket is ready or <paramref name="timeout"/> passes (<see cref="TimeSpan.Zero"/>
    /// only looks, <see cref="Timeout.InfiniteTimeSpan"/> waits for ever), and fills <paramref name="result"/>
    /// with the ready sockets. Nothing is received or sent. Allocates nothing once warm, unless it times out.
    /// </summary>
    /// <returns>True when a socket is ready; false when the timeout passed first (<paramref name="result"/> is then empty).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">The poller is disposed (also while waiting).</exception>
    public ValueTask<bool> PollAsync(PollResult result, TimeSpan timeout, CancellationToken cancellationToken = default)
        => PollAsync(result, Readiness, timeout, cancellationToken);

    /// <summary>Blocks the calling thread until a socket is ready or <paramref name="timeout"/> passes, and returns the ready sockets.</summary>
    /// <inheritdoc cref="PollAsync(PollResult, TimeSpan, CancellationToken)" path="/exception"/>
    public PollResult Poll(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = new PollResult();
        Poll(result, timeout, cancellationToken);
        return result;
    }

    /// <summary>Blocks the calling thread until a socket is ready or <paramref name="timeout"/> passes; see <see cref="PollAsync(PollResult, TimeSpan, CancellationToken)"/>.</summary>
    /// <inheritdoc cref="PollAsync(PollResult, TimeSpan, CancellationToken)" path="/returns"/>
    /// <inheritdoc cref="PollAsync(PollResult, TimeSpan, CancellationToken)" path="/exception"/>
    public bool Poll(PollResult result, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ValidateTimeout(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        while (true)
        {
            var epoch = Scan(result, Readiness);
            if (result.Count > 0)
            {
                return true;
            }

            TimeSpan wait;
            if (deadline == long.MaxValue)
            {
                wait = Timeout.InfiniteTimeSpan;
            }
            else
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                wait = TimeSpan.FromMilliseconds(left);
            }

            if (!_changed.Wait(epoch, wait, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Receives from whichever socket added for <see cref="PollEvents.Receive"/> has a message, one message
    /// per ready socket per round, so a flooding socket cannot starve a quiet one. Each message is the
    /// caller's to dispose. A socket that closes is dropped and the others go on; the stream ends when the
    /// poller is disposed.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async IAsyncEnumerable<(ZmqSocket Socket, Message Message)> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ready = new PollResult();
        while (true)
        {
            try
            {
                await PollAsync(ready, PollEvents.Receive, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (_disposed)
            {
                yield break;
            }

            for (var i = 0; i < ready.Count; i++)
            {
                var item = ready[i];
                if ((item.Events & PollEvents.Receive) == 0 || !TryReceiveNow(item.Socket, out var message))
                {
                    continue;
                }

                yield return (item.Socket, message);
            }
        }
    }

    /// <summary>Removes every socket and wakes polls under way, which throw <see cref="ObjectDisposedException"/>; the sockets stay open.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var registration in _registrations.Values)
            {
                registration.Removed = true;
                registration.DisarmAll();
            }

            _registrations.Clear();
            _retired.Clear();
            _ready.Clear();
            while (_signals.TryDequeue(out _))
            {
            }

            while (_timers.TryPop(out var timer))
            {
                timer.Dispose();
            }
        }

        _changed.Notify();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    private ValueTask<bool> PollAsync(PollResult result, PollEvents mask, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ValidateTimeout(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        var epoch = Scan(result, mask);
        if (result.Count > 0)
        {
            return new ValueTask<bool>(true);
        }

        if (timeout == TimeSpan.Zero)
        {
            return new ValueTask<bool>(false);
        }

        return PollSlowAsync(result, mask, epoch, timeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> PollSlowAsync(PollResult result, PollEvents mask, long epoch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        CancellationTokenSource? timer = null;
        CancellationTokenRegistration link = default;
        var token = cancellationToken;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            // One token for both: a timer that cancels, and the caller's token forwarded into it.
            timer = RentTimer();
            timer.CancelAfter(timeout);
            if (cancellationToken.CanBeCanceled)
            {
                link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timer);
            }

            token = timer.Token;
        }

        try
        {
            while (true)
            {
                try
                {
                    await _changed.WaitAsync(epoch, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timer is not null && !cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
                catch (OperationCanceledException ex) when (ex.CancellationToken != cancellationToken)
                {
                    throw new OperationCanceledException(ex.Message, ex, cancellationToken);
                }

                epoch = Scan(result, mask);
                if (result.Count > 0)
                {
                    return true;
                }
            }
        }
        finally
        {
            link.Dispose();
            if (timer is not null)
            {
                ReturnTimer(timer);
            }
        }
    }

    /// <summary>
    /// Probes the registrations that were ready at the last scan or were signalled since, puts those
    /// ready for any of <paramref name="mask"/> into <paramref name="result"/>, and arms watches on the
    /// rest; returns the epoch of <see cref="_changed"/> read before, to wait on if nothing was ready.
    /// </summary>
    private long Scan(PollResult result, PollEvents mask)
    {
        result.Clear();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var epoch = _changed.Epoch;
            var stamp = ++_scans;

            // A snapshot: a registration signalled while we probe stays queued for the next scan, and its
            // signal moved the epoch, so the caller scans again instead of waiting.
            (_probing, _ready) = (_ready, _probing);
            while (_signals.TryDequeue(out var signalled))
            {
                signalled.ClearSignal();
                _probing.Add(signalled);
            }

            foreach (var registration in _probing)
            {
                if (registration.Removed || registration.Stamp == stamp)
                {
                    continue;
                }

                registration.Stamp = stamp;
                var ready = registration.Probe();
                if ((ready & PollEvents.Closed) != 0)
                {
                    result.Add(registration.Socket, PollEvents.Closed);
                    Drop(registration);
                    continue;
                }

                if (ready != PollEvents.None)
                {
                    _ready.Add(registration);
                    if ((ready & mask) != 0)
                    {
                        result.Add(registration.Socket, ready & mask);
                    }
                }
            }

            _probing.Clear();
            return epoch;
        }
    }

    private void Drop(Registration registration)
    {
        _registrations.Remove(registration.Socket);
        registration.Removed = true;
        registration.DisarmAll();
    }

    private static bool TryReceiveNow(ZmqSocket socket, out Message message)
    {
        try
        {
            return socket.TryReceive(out message, TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
            // Closed since the poll: the next poll reports and drops it.
        }
        catch (InvalidOperationException)
        {
            // A REQ or REP whose turn another thread took since the poll.
        }

        message = default;
        return false;
    }

    private static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    private CancellationTokenSource RentTimer()
    {
        lock (_lock)
        {
            if (_timers.TryPop(out var timer))
            {
                return timer;
            }
        }

        return new CancellationTokenSource();
    }

    private void ReturnTimer(CancellationTokenSource timer)
    {
        // TryReset fails once the timer fired (or the caller's token cancelled it): that one is spent.
        if (timer.TryReset())
        {
            lock (_lock)
            {
                if (!_disposed && _timers.Count < 8)
                {
                    _timers.Push(timer);
                    return;
                }
            }
        }

        timer.Dispose();
    }

    /// <summary>One socket in the poller: its events and the watches armed on its event counts.</summary>
    private sealed class Registration
    {
        // Probes retry when the state moved while they looked; past this many, the scan moves on and
        // the signal it leaves makes the poll scan again rather than sleep.
        private const int MaxProbeAttempts = 16;

        private readonly Poller _poller;
        private readonly Watch _receive;
        private readonly Watch _send;
        private readonly Watch _state;
        private int _signalled;

        public Registration(Poller poller, ZmqSocket socket)
        {
            _poller = poller;
            Socket = socket;
            _receive = new Watch(this, socket.ArrivalEvents);
            _send = new Watch(this, socket.WritableEvents);
            _state = new Watch(this, socket.PollStateEvents);
        }

        public ZmqSocket Socket { get; }

        public PollEvents Events { get; set; }

        /// <summary>Out of the poller: its signals are ignored. Written under the poller's lock.</summary>
        public bool Removed { get; set; }

        /// <summary>The scan that last probed it, so a scan probes it once.</summary>
        public long Stamp { get; set; }

        /// <summary>Queues this registration for the next scan (once) and wakes waiting polls. Any thread, no lock.</summary>
        public void Signal()
        {
            if (Interlocked.Exchange(ref _signalled, 1) == 0)
            {
                _poller._signals.Enqueue(this);
            }

            _poller._changed.Notify();
        }

        public void ClearSignal() => Volatile.Write(ref _signalled, 0);

        /// <summary>
        /// What the socket is ready for now (or <see cref="PollEvents.Closed"/>); for what it is not, arms the
        /// watches that fire when that may change. Under the poller's lock.
        /// </summary>
        public PollEvents Probe()
        {
            var socket = Socket;
            var events = Events;
            var wantReceive = (events & PollEvents.Receive) != 0;
            var wantSend = (events & PollEvents.Send) != 0;
            for (var attempt = 0; attempt < MaxProbeAttempts; attempt++)
            {
                if (socket.IsClosed)
                {
                    return PollEvents.Closed;
                }

                // Epochs first, then the state: a change after this point moves an epoch and the arm fails.
                var receiveEpoch = socket.ArrivalEvents.Epoch;
                var sendEpoch = socket.WritableEvents.Epoch;
                var stateEpoch = socket.PollStateEvents.Epoch;
                var ready = PollEvents.None;
                if (wantReceive && socket.IsReceiveReady())
                {
                    ready |= PollEvents.Receive;
                }

                if (wantSend && socket.IsSendReady())
                {
                    ready |= PollEvents.Send;
                }

                var missing = events & ~ready;
                if (missing == PollEvents.None)
                {
                    return ready;
                }

                // Arrivals and room are watched only while the turn allows them: a REP owing a reply with
                // requests queued would otherwise fire at once, for ever. The turn is watched instead.
                var armed = true;
                if ((missing & PollEvents.Receive) != 0 && socket.ReceiveTurn)
                {
                    armed &= _receive.Arm(receiveEpoch);
                }

                if ((missing & PollEvents.Send) != 0 && socket.SendTurn)
                {
                    armed &= _send.Arm(sendEpoch);
                }

                if (socket.HasTurns)
                {
                    armed &= _state.Arm(stateEpoch);
                }

                if (armed)
                {
                    return ready;
                }
            }

            // Still moving: the signal moves the poller's epoch, so the poll scans again rather than sleeps.
            Signal();
            return PollEvents.None;
        }

        public void DisarmAll()
        {
            _receive.Disarm();
            _send.Disarm();
            _state.Disarm();
        }

        /// <summary>A one-shot callback on one of the socket's event counts.</summary>
        private sealed class Watch(Registration owner, EventCount events) : EventCount.Listener
        {
            // True from just before linking until it fires or is disarmed: armed at most once at a time.
            private volatile bool _armed;

            public bool Arm(long epoch)
            {
                if (_armed)
                {
                    // Still linked: any change since it was linked would have fired it.
                    return true;
                }

                // Set before linking: once linked it may fire at once on another thread, and firing clears it.
                _armed = true;
                if (events.TryArm(epoch, this))
                {
                    return true;
                }

                _armed = false;
                return false;
            }

            public void Disarm()
            {
                if (_armed && events.Disarm(this))
                {
                    _armed = false;
                }
            }

            public override void OnNotified()
            {
                _armed = false;
                owner.Signal();
            }
        }
    }
}
