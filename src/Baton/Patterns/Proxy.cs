using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// Forwards messages between a frontend and a backend socket, both ways, as libzmq's <c>zmq_proxy</c>
/// and <c>zmq_proxy_steerable</c> do: ROUTER/DEALER (a shared queue, the guide's rrbroker), XSUB/XPUB
/// (a forwarder: data down, subscriptions up), PULL/PUSH (a streamer), or any pair where one side
/// receives what the other can send.
/// </summary>
/// <remarks>
/// <para>Each direction is a loop of its own that takes every message already queued before it waits,
/// so a burst crosses in a batch, and awaits each send: a destination at its high-water mark stops that
/// direction's receiving, and the source's own high-water mark then pushes back upstream. Nothing is
/// dropped by the proxy that the destination socket type would not drop itself (a ROUTER drops a reply
/// for a client that is gone; a PUB drops what nobody subscribed to).</para>
/// <para>A capture socket, if given, gets a copy of every message forwarded, both ways, before the
/// message goes on (libzmq's order). The capture send is awaited like any other: give a PUB (which never
/// waits) to tap the traffic without ever slowing the proxy.</para>
/// <para>A control socket, if given, takes libzmq's commands, one frame each: <c>PAUSE</c> (stop
/// forwarding; messages wait in the sockets), <c>RESUME</c>, <c>TERMINATE</c> (<see cref="RunAsync"/>
/// returns) and <c>STATISTICS</c>, answered with eight frames of 8 bytes each, unsigned 64-bit in this
/// machine's byte order as libzmq sends them: the frontend's messages in, bytes in, messages out, bytes
/// out, then the backend's four. A REP control socket answers every other command with an empty message,
/// as its request-reply turn requires; a PAIR answers only STATISTICS. An unknown command is logged and
/// ignored.</para>
/// <para>The proxy does not own its sockets: close them after <see cref="RunAsync"/> ends.</para>
/// </remarks>
public sealed class Proxy
{
    private readonly ZmqSocket _frontend;
    private readonly ZmqSocket _backend;
    private readonly ZmqSocket? _capture;
    private readonly ZmqSocket? _control;
    private readonly ILogger _logger;
    private readonly bool _forward;
    private readonly bool _backward;
    private readonly Lock _gate = new();

    // Each counter has a single writer (the loop of its direction), so plain increments are safe; readers use Volatile.
    private long _frontendIn;
    private long _frontendInBytes;
    private long _frontendOut;
    private long _frontendOutBytes;
    private long _backendIn;
    private long _backendInBytes;
    private long _backendOut;
    private long _backendOutBytes;

    // Non-null while paused: the loops wait on it before they take the next message.
    private volatile TaskCompletionSource? _paused;
    private int _running;
    private volatile bool _terminated;

    /// <summary>Creates a proxy between <paramref name="frontend"/> and <paramref name="backend"/>.</summary>
    /// <param name="frontend">The socket facing clients (e.g. a ROUTER, an XSUB, a PULL).</param>
    /// <param name="backend">The socket facing services (e.g. a DEALER, an XPUB, a PUSH); may be the frontend itself.</param>
    /// <param name="capture">Gets a copy of every message forwarded, both ways; it must be able to send (PUB, PUSH, PAIR, DEALER).</param>
    /// <param name="control">Takes PAUSE, RESUME, TERMINATE and STATISTICS; a REP or a PAIR.</param>
    /// <exception cref="ArgumentException">Neither direction can carry anything (neither socket receives what the other sends), the capture socket cannot send, or the control socket cannot receive.</exception>
    public Proxy(ZmqSocket frontend, ZmqSocket backend, ZmqSocket? capture = null, ZmqSocket? control = null)
    {
        ArgumentNullException.ThrowIfNull(frontend);
        ArgumentNullException.ThrowIfNull(backend);
        _frontend = frontend;
        _backend = backend;
        _capture = capture;
        _control = control;
        _forward = frontend.CanReceive && backend.CanSend;

        // The same socket on both sides (a ROUTER reflecting to itself) needs one loop, not two reading the same queue.
        _backward = !ReferenceEquals(frontend, backend) && backend.CanReceive && frontend.CanSend;
        if (!_forward && !_backward)
        {
            throw new ArgumentException(
                $"A {Name(frontend)} frontend and a {Name(backend)} backend cannot forward anything: one side must receive what the other can send.",
                nameof(backend));
        }

        if (capture is not null && !capture.CanSend)
        {
            throw new ArgumentException($"A {Name(capture)} socket cannot send, so it cannot capture; use a PUB, PUSH, PAIR or DEALER.", nameof(capture));
        }

        if (control is not null && !control.CanReceive)
        {
            throw new ArgumentException($"A {Name(control)} socket cannot receive commands; use a REP or a PAIR.", nameof(control));
        }

        _logger = frontend.Context.LoggerFactory.CreateLogger<Proxy>();
    }

    /// <summary>The socket facing clients.</summary>
    public ZmqSocket Frontend => _frontend;

    /// <summary>The socket facing services.</summary>
    public ZmqSocket Backend => _backend;

    /// <summary>Whether forwarding is paused (by <see cref="Pause"/> or a PAUSE command).</summary>
    public bool IsPaused => _paused is not null;

    /// <summary>What the proxy has forwarded so far (the values STATISTICS returns).</summary>
    public ProxyStatistics Statistics => new(
        new ProxySocketStatistics(Read(ref _frontendIn), Read(ref _frontendInBytes), Read(ref _frontendOut), Read(ref _frontendOutBytes)),
        new ProxySocketStatistics(Read(ref _backendIn), Read(ref _backendInBytes), Read(ref _backendOut), Read(ref _backendOutBytes)));

    /// <summary>Stops forwarding until <see cref="Resume"/>, as the PAUSE command does; messages wait in the sockets (up to their high-water marks).</summary>
    public void Pause()
    {
        lock (_gate)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Resumes forwarding after <see cref="Pause"/>, as the RESUME command does.</summary>
    public void Resume()
    {
        TaskCompletionSource? paused;
        lock (_gate)
        {
            paused = _paused;
            _paused = null;
        }

        paused?.TrySetResult();
    }

    /// <summary>
    /// Forwards until a TERMINATE command arrives on the control socket (then returns) or
    /// <paramref name="cancellationToken"/> is cancelled (then throws <see cref="OperationCanceledException"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The proxy is running already.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">One of the sockets was closed while the proxy ran.</exception>
    public Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The proxy is running already.");
        }

        return RunCoreAsync(cancellationToken);
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        _terminated = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = new List<Task>(3);
        try
        {
            if (_forward)
            {
                loops.Add(Task.Run(() => ForwardAsync(frontToBack: true, stop.Token), CancellationToken.None));
            }

            if (_backward)
            {
                loops.Add(Task.Run(() => ForwardAsync(frontToBack: false, stop.Token), CancellationToken.None));
            }

            if (_control is not null)
            {
                loops.Add(Task.Run(() => ControlAsync(_control, stop.Token), CancellationToken.None));
            }

            // The first loop to end (TERMINATE, cancellation or a failure) ends the others.
            await Task.WhenAny(loops).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }

        if (_terminated)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        foreach (var loop in loops)
        {
            if (loop.IsFaulted)
            {
                ExceptionDispatchInfo.Throw(loop.Exception!.InnerException!);
            }
        }
    }

    private async Task ForwardAsync(bool frontToBack, CancellationToken cancellationToken)
    {
        var from = frontToBack ? _frontend : _backend;
        var to = frontToBack ? _backend : _frontend;
        var capture = _capture;
        while (true)
        {
            if (_paused is { } before)
            {
                await before.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            // Completes at once while messages are queued: a burst crosses without a wait between messages.
            var message = await from.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_paused is { } during)
                {
                    // Paused while this receive waited: hold the message until RESUME (libzmq would have left it queued).
                    await during.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                // In when received: whoever has seen a message cross finds it counted.
                var bytes = message.ByteCount;
                if (frontToBack)
                {
                    Volatile.Write(ref _frontendIn, _frontendIn + 1);
                    Volatile.Write(ref _frontendInBytes, _frontendInBytes + bytes);
                }
                else
                {
                    Volatile.Write(ref _backendIn, _backendIn + 1);
                    Volatile.Write(ref _backendInBytes, _backendInBytes + bytes);
                }

                if (capture is not null)
                {
                    await capture.SendAsync(new Message(message.Body.CloneForFanOut()), cancellationToken).ConfigureAwait(false);
                }

                // Counted out before the send and taken back if it fails: the peer may read the message,
                // and then the statistics, before this loop runs again. Each counter has one writer, this loop.
                CountOut(frontToBack, bytes, 1);
                try
                {
                    await to.SendAsync(message, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    CountOut(frontToBack, bytes, -1);
                    throw;
                }
            }
            finally
            {
                // Nothing once sent; the message itself if the send did not happen.
                message.Dispose();
            }
        }
    }

    private void CountOut(bool frontToBack, long bytes, int sign)
    {
        if (frontToBack)
        {
            Volatile.Write(ref _backendOut, _backendOut + sign);
            Volatile.Write(ref _backendOutBytes, _backendOutBytes + (sign * bytes));
        }
        else
        {
            Volatile.Write(ref _frontendOut, _frontendOut + sign);
            Volatile.Write(ref _frontendOutBytes, _frontendOutBytes + (sign * bytes));
        }
    }

    private async Task ControlAsync(ZmqSocket control, CancellationToken cancellationToken)
    {
        var answersEveryCommand = control.Type == ZmqSocketType.Rep;
        while (true)
        {
            using var command = await control.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            var text = command.GetSpan(0);
            if (text.SequenceEqual("STATISTICS"u8))
            {
                if (control.CanSend)
                {
                    await control.SendAsync(StatisticsMessage(Statistics), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    ProxyLog.StatisticsUnanswerable(_logger, Name(control));
                }

                continue;
            }

            var terminate = false;
            if (text.SequenceEqual("PAUSE"u8))
            {
                Pause();
                ProxyLog.ControlCommand(_logger, "PAUSE");
            }
            else if (text.SequenceEqual("RESUME"u8))
            {
                Resume();
                ProxyLog.ControlCommand(_logger, "RESUME");
            }
            else if (text.SequenceEqual("TERMINATE"u8))
            {
                terminate = true;
                ProxyLog.ControlCommand(_logger, "TERMINATE");
            }
            else
            {
                ProxyLog.UnknownControlCommand(_logger, command[0].ToString());
            }

            if (answersEveryCommand)
            {
                // A REP owes a reply before it can take the next command, whatever this one was.
                await control.SendAsync(new Message(Frame.Empty), cancellationToken).ConfigureAwait(false);
            }

            if (terminate)
            {
                _terminated = true;
                Resume();
                return;
            }
        }
    }

    /// <summary>The STATISTICS reply: eight frames of one unsigned 64-bit value each, in this machine's byte order (libzmq copies the integer as it is in memory).</summary>
    internal static Message StatisticsMessage(ProxyStatistics statistics)
    {
        var message = new Message();
        ReadOnlySpan<ulong> values =
        [
            statistics.Frontend.MessagesIn, statistics.Frontend.BytesIn, statistics.Frontend.MessagesOut, statistics.Frontend.BytesOut,
            statistics.Backend.MessagesIn, statistics.Backend.BytesIn, statistics.Backend.MessagesOut, statistics.Backend.BytesOut,
        ];
        foreach (var value in values)
        {
            var frame = new byte[sizeof(ulong)];
            MemoryMarshal.Write(frame, in value);
            message.Append(frame);
        }

        return message;
    }

    private static ulong Read(ref long counter) => (ulong)Volatile.Read(ref counter);

    private static string Name(ZmqSocket socket) => socket.Type.ToString().ToUpperInvariant();
}
