using System.Net.Sockets;
using Baton.Internal;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// A connection's I/O on an <see cref="IoThread"/>: reads and writes are non-blocking system calls
/// (the socket is non-blocking); one that would block waits for the socket's next epoll edge and is
/// then retried and completed on the I/O thread, where the awaiting loop resumes. Delays are the I/O
/// thread's timers. Nothing here needs the thread pool.
/// </summary>
internal sealed class ReactorStreamIo : StreamIo, IReadinessHandler
{
    // Operations that completed at once, in a row, on the I/O thread before one is deferred to the back of
    // its queue: a peer that floods one connection (64 KB per read) must not starve the others, nor this
    // connection's own write loop and heartbeat.
    private const int FairnessLimit = 16;

    private readonly NetSocket _socket;
    private readonly IoThread _thread;
    private readonly CancellationToken _abort;
    private readonly int _registration;
    private readonly CancellationTokenRegistration _abortRegistration;
    private readonly Lock _gate = new();
    private readonly IoOperation _read = new();
    private readonly IoOperation _write = new();
    private readonly IoOperation _yield = new();
    private readonly IoOperation _delay = new();
    private readonly IoTimer _delayTimer;

    // Under _gate: the operation waiting for an edge, and edges counted, so that an operation that saw
    // EAGAIN on another thread while an edge came in between retries rather than waits for ever.
    private Memory<byte> _readBuffer;
    private ReadOnlyMemory<byte> _writeData;
    private int _readEdges;
    private int _writeEdges;
    private bool _readPending;
    private bool _writePending;
    private bool _delayPending;
    private bool _cancelled;

    // I/O thread only.
    private int _readsInRow;
    private int _writesInRow;

    public ReactorStreamIo(NetSocket socket, IoThread thread, CancellationToken abort)
    {
        _socket = socket;
        _thread = thread;
        _abort = abort;
        _socket.Blocking = false;
        _delayTimer = new IoTimer(thread, static state => ((ReactorStreamIo)state!).OnDelayElapsed(), this);
        _registration = thread.Register(socket, this);
        _abortRegistration = abort.UnsafeRegister(static state => ((ReactorStreamIo)state!)._thread.Post(static s => ((ReactorStreamIo)s!).CancelPending(), state), this);
    }

    public override IDispatcher Dispatcher => _thread;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        if (_thread.IsCurrent && ++_readsInRow > FairnessLimit)
        {
            return Defer(isRead: true, buffer, default);
        }

        while (true)
        {
            var edges = Volatile.Read(ref _readEdges);
            var read = TryReceive(buffer.Span, out var error);
            if (error == SocketError.Success)
            {
                return new ValueTask<int>(read);
            }

            if (error != SocketError.WouldBlock)
            {
                return ValueTask.FromException<int>(Failure(error));
            }

            var pending = _read.Arm();
            lock (_gate)
            {
                if (_cancelled)
                {
                    return ValueTask.FromException<int>(new OperationCanceledException(_abort));
                }

                if (_readEdges != edges)
                {
                    continue;
                }

                _readBuffer = buffer;
                _readPending = true;
            }

            return pending;
        }
    }

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data)
    {
        if (_thread.IsCurrent && ++_writesInRow > FairnessLimit)
        {
            return Defer(isRead: false, default, data);
        }

        while (true)
        {
            var edges = Volatile.Read(ref _writeEdges);
            var sent = TrySend(data.Span, out var error);
            if (error == SocketError.Success)
            {
                return new ValueTask<int>(sent);
            }

            if (error != SocketError.WouldBlock)
            {
                return ValueTask.FromException<int>(Failure(error));
            }

            var pending = _write.Arm();
            lock (_gate)
            {
                if (_cancelled)
                {
                    return ValueTask.FromException<int>(new OperationCanceledException(_abort));
                }

                if (_writeEdges != edges)
                {
                    continue;
                }

                _writeData = data;
                _writePending = true;
            }

            return pending;
        }
    }

    public override ValueTask YieldAsync()
    {
        var resumed = _yield.ArmVoid();
        _thread.Post(static state => ((IoOperation)state!).Complete(0), _yield);
        return resumed;
    }

    public override ValueTask DelayAsync(TimeSpan delay)
    {
        var elapsed = _delay.ArmVoid();
        lock (_gate)
        {
            if (_cancelled)
            {
                return ValueTask.FromException(new OperationCanceledException(_abort));
            }

            _delayPending = true;
        }

        _delayTimer.Start(delay);
        return elapsed;
    }

    public override IDisposable StartTimer(TimeSpan due, Action<object?> callback, object? state)
    {
        var timer = new IoTimer(_thread, callback, state);
        timer.Start(due);
        return timer;
    }

    public override void Dispose()
    {
        _abortRegistration.Dispose();
        _delayTimer.Dispose();
        _thread.Unregister(_socket, _registration);
    }

    /// <summary>Epoll's edge for this socket (I/O thread): retries the operation waiting for it.</summary>
    public void OnReady(uint events)
    {
        if ((events & (Epoll.In | Epoll.Error | Epoll.HangUp | Epoll.ReadHangUp)) != 0)
        {
            bool pending;
            lock (_gate)
            {
                _readEdges++;
                pending = _readPending;
            }

            if (pending)
            {
                RetryRead();
            }
        }

        if ((events & (Epoll.Out | Epoll.Error | Epoll.HangUp)) != 0)
        {
            bool pending;
            lock (_gate)
            {
                _writeEdges++;
                pending = _writePending;
            }

            if (pending)
            {
                RetryWrite();
            }
        }
    }

    /// <summary>Queues the operation behind what else the I/O thread has to do, then tries it there.</summary>
    private ValueTask<int> Defer(bool isRead, Memory<byte> buffer, ReadOnlyMemory<byte> data)
    {
        var operation = isRead ? _read : _write;
        var pending = operation.Arm();
        lock (_gate)
        {
            if (_cancelled)
            {
                return ValueTask.FromException<int>(new OperationCanceledException(_abort));
            }

            if (isRead)
            {
                _readBuffer = buffer;
                _readPending = true;
            }
            else
            {
                _writeData = data;
                _writePending = true;
            }
        }

        _thread.Post(isRead ? static state => ((ReactorStreamIo)state!).RetryRead() : static state => ((ReactorStreamIo)state!).RetryWrite(), this);
        return pending;
    }

    private void RetryRead()
    {
        lock (_gate)
        {
            if (!_readPending)
            {
                return;
            }
        }

        var read = TryReceive(_readBuffer.Span, out var error);
        if (error == SocketError.WouldBlock)
        {
            // Nothing after all: the next edge retries.
            return;
        }

        lock (_gate)
        {
            _readPending = false;
        }

        _readBuffer = default;
        _readsInRow = 0;
        if (error == SocketError.Success)
        {
            _read.Complete(read);
        }
        else
        {
            _read.Fail(Failure(error));
        }
    }

    private void RetryWrite()
    {
        lock (_gate)
        {
            if (!_writePending)
            {
                return;
            }
        }

        var sent = TrySend(_writeData.Span, out var error);
        if (error == SocketError.WouldBlock)
        {
            return;
        }

        lock (_gate)
        {
            _writePending = false;
        }

        _writeData = default;
        _writesInRow = 0;
        if (error == SocketError.Success)
        {
            _write.Complete(sent);
        }
        else
        {
            _write.Fail(Failure(error));
        }
    }

    private void OnDelayElapsed()
    {
        lock (_gate)
        {
            if (!_delayPending)
            {
                return;
            }

            _delayPending = false;
        }

        _delay.Complete(0);
    }

    /// <summary>The connection aborted (I/O thread): what waits ends with <see cref="OperationCanceledException"/>.</summary>
    private void CancelPending()
    {
        bool read, write, delay;
        lock (_gate)
        {
            _cancelled = true;
            (read, write, delay) = (_readPending, _writePending, _delayPending);
            _readPending = _writePending = _delayPending = false;
        }

        _readBuffer = default;
        _writeData = default;
        _delayTimer.Dispose();
        if (read)
        {
            _read.Fail(new OperationCanceledException(_abort));
        }

        if (write)
        {
            _write.Fail(new OperationCanceledException(_abort));
        }

        if (delay)
        {
            _delay.Fail(new OperationCanceledException(_abort));
        }
    }

    /// <summary>One non-blocking recv; an empty buffer peeks a byte to learn whether the socket is readable (or at its end).</summary>
    private int TryReceive(Span<byte> buffer, out SocketError error)
    {
        try
        {
            if (buffer.IsEmpty)
            {
                Span<byte> one = stackalloc byte[1];
                _socket.Receive(one, SocketFlags.Peek, out error);
                return 0;
            }

            return _socket.Receive(buffer, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
            return 0;
        }
    }

    private int TrySend(ReadOnlySpan<byte> data, out SocketError error)
    {
        try
        {
            return _socket.Send(data, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
            return 0;
        }
    }

    private Exception Failure(SocketError error)
        => error == SocketError.OperationAborted && _abort.IsCancellationRequested ? new OperationCanceledException(_abort) : new SocketException((int)error);
}
