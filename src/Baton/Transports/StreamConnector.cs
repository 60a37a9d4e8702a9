using System.Net;
using System.Net.Sockets;
using Baton.Engine;
using Baton.Internal;
using Baton.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>
/// A connected tcp or ipc endpoint: connects, runs the connection, and reconnects with backoff when
/// it fails. Unless the socket is Immediate, its pipe exists from the start and survives reconnects,
/// so messages queue (up to HWM) while the peer is away.
/// </summary>
internal sealed class StreamConnector
{
    private readonly ZmqSocket _owner;
    private readonly Endpoint _endpoint;
    private readonly SocketOptions _options;
    private readonly EngineSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly StreamPipe? _pipe;
    private volatile Connection? _current;
    private volatile bool _draining;
    private volatile bool _ended;
    private Task _loop = Task.CompletedTask;

    // Completed and replaced whenever _current changes or the loop ends: what WhenDrainedAsync waits on.
    private TaskCompletionSource _changed = NewSignal();

    public StreamConnector(ZmqSocket owner, Endpoint endpoint)
    {
        _owner = owner;
        _endpoint = endpoint;
        _options = owner.Options;
        _settings = owner.EngineSettings;
        if (!_options.Immediate)
        {
            _pipe = new StreamPipe(owner, endpoint.Text, _settings);
            owner.AttachPipe(_pipe);
        }
    }

    public string Endpoint => _endpoint.Text;

    public void Start() => _loop = RunAsync();

    public Task? CurrentRun { get; private set; }

    /// <summary>Progress of the messages queued for this peer (taken off the queue, chunks written); see <see cref="StreamPipe.Progress"/>.</summary>
    public long Progress => (_pipe ?? _current?.Pipe)?.Progress ?? 0;

    /// <summary>Messages queued for this peer and not yet taken by a write loop.</summary>
    public int Queued => (_pipe ?? _current?.Pipe)?.OutboundCount ?? 0;

    /// <summary>
    /// After <see cref="BeginDrain"/>: completes once nothing queued for this peer is left unwritten,
    /// or once no connection can come to take it (the connector stopped). Never completes while
    /// messages wait for an absent peer: the caller bounds the wait.
    /// </summary>
    public async Task WhenDrainedAsync()
    {
        while (true)
        {
            // Read before the state it guards, so a change in between is never missed.
            var changed = Volatile.Read(ref _changed).Task;
            var current = _current;
            if (current is null)
            {
                if (_ended || (_pipe?.OutboundCount ?? 0) == 0)
                {
                    return;
                }

                await changed.ConfigureAwait(false);
                continue;
            }

            // Completes when the write loop has written everything (and half-closed), or when the connection ends.
            await current.Drained.ConfigureAwait(false);
            if (_pipe is null || _pipe.OutboundCount == 0)
            {
                return;
            }

            // The connection ended with messages still queued: they wait for the next one.
            await changed.ConfigureAwait(false);
        }
    }

    public void BeginDrain()
    {
        _draining = true;
        _current?.BeginDrain();
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        _current?.Close();
        _pipe?.Terminate();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        try
        {
            await ConnectLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            _ended = true;
            SignalChanged();
        }
    }

    private async Task ConnectLoopAsync()
    {
        await Task.Yield();
        var delay = _options.ReconnectInterval;
        while (!_stop.IsCancellationRequested)
        {
            NetSocket socket;
            try
            {
                socket = await ConnectAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is SocketException or InvalidEndpointException)
            {
                var reason = e is SocketException se ? se.SocketErrorCode.ToString() : e.Message;
                Log.ConnectFailed(_owner.Logger, SocketTypes.WireName(_owner.Type), _endpoint.Text, reason, (long)delay.TotalMilliseconds);
                _owner.Raise(SocketEventKind.ConnectRetried, _endpoint.Text, reason);
                if (!await WaitAsync(delay).ConfigureAwait(false))
                {
                    break;
                }

                delay = NextDelay(delay);
                continue;
            }

            delay = _options.ReconnectInterval;
            StreamTuning.Configure(socket, _options);
            var pipe = _pipe ?? new StreamPipe(_owner, _endpoint.Text, _settings);
            var connection = new Connection(socket, _owner, pipe, _settings, _owner.Logger);
            _current = connection;
            SignalChanged();
            if (_draining)
            {
                connection.BeginDrain();
            }

            if (_stop.IsCancellationRequested)
            {
                connection.Close();
            }

            var run = connection.RunAsync();
            CurrentRun = run;
            await run.ConfigureAwait(false);
            _current = null;
            SignalChanged();
            if (_pipe is null)
            {
                pipe.Terminate();
            }

            if (_draining && (_pipe is null || _pipe.OutboundCount == 0))
            {
                break;
            }

            if (connection.PeerRefused)
            {
                Log.PeerRefused(_owner.Logger, SocketTypes.WireName(_owner.Type), _endpoint.Text, "handshake refused");
                break;
            }

            if (!await WaitAsync(_options.ReconnectInterval).ConfigureAwait(false))
            {
                break;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalChanged() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private TimeSpan NextDelay(TimeSpan delay)
    {
        var max = _options.ReconnectIntervalMax;
        if (max <= TimeSpan.Zero)
        {
            return delay;
        }

        var next = delay * 2;
        return next > max ? max : next;
    }

    private async Task<bool> WaitAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<NetSocket> ConnectAsync()
    {
        if (_endpoint.Kind == TransportKind.Ipc)
        {
            var ipc = new NetSocket(AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await ipc.ConnectAsync(new UnixDomainSocketEndPoint(_endpoint.Address), _stop.Token).ConfigureAwait(false);
                return ipc;
            }
            catch
            {
                ipc.Dispose();
                throw;
            }
        }

        var addresses = await _endpoint.ResolveAsync(_options.IPv6, _stop.Token).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new NetSocket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, _endpoint.Port), _stop.Token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
