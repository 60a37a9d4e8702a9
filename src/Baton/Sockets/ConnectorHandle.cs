using System.Diagnostics;
using System.Net.Sockets;
using Baton.Engine;
using Baton.Internal;
using Baton.Transports;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Sockets;

/// <summary>
/// A connected tcp or ipc endpoint: connects through its transport connector, runs the connection, and
/// reconnects with backoff when it fails. Unless the socket is Immediate, its pipe exists from the start
/// and survives reconnects, so messages queue (up to HWM) while the peer is away.
/// </summary>
internal sealed class ConnectorHandle : EndpointHandle
{
    private readonly ZmqSocket _owner;
    private readonly TransportConnector _connector;
    private readonly SocketOptions _options;
    private readonly EngineSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly StreamPipe? _pipe;

    // One for every connection to this endpoint: an invalid pairing warns once, not at each reconnect.
    private readonly RepeatedWarning _pairingWarning = new();
    private volatile Connection? _current;
    private volatile bool _draining;
    private volatile bool _ended;
    private Task _loop = Task.CompletedTask;

    // Completed and replaced whenever _current changes or the loop ends: what WhenDrainedAsync waits on.
    private TaskCompletionSource _changed = NewSignal();

    public ConnectorHandle(ZmqSocket owner, Endpoint endpoint)
        : base(endpoint.Text, endpoint.Text)
    {
        _owner = owner;
        _options = owner.Options;
        _settings = owner.EngineSettings;
        _connector = new TransportConnector(endpoint, _options.IPv6);
        if (!_options.Immediate)
        {
            _pipe = new StreamPipe(owner, endpoint.Text, _settings);
            owner.AttachPipe(_pipe);
        }
    }

    /// <inheritdoc />
    public override bool IsBind => false;

    public string Endpoint => RequestedEndpoint;

    /// <summary>Starts the connect loop; once.</summary>
    public void Start()
    {
        Debug.Assert(_loop == Task.CompletedTask, "Started twice.");
        _loop = RunAsync();
    }

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

    /// <summary>Nothing to do: a connector takes no peers but its own, and closing lingers on that one.</summary>
    public override void Stop()
    {
    }

    /// <summary>Stops reconnecting, drops the connection and the queue, and waits for the loop to end.</summary>
    public override async Task CloseAsync()
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
        var backoff = new ReconnectBackoff(_options.ReconnectInterval, _options.ReconnectIntervalMax);
        while (!_stop.IsCancellationRequested)
        {
            NetSocket socket;
            try
            {
                socket = await _connector.ConnectAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is SocketException or InvalidEndpointException)
            {
                var delay = backoff.Delay;
                var reason = e is SocketException se ? se.SocketErrorCode.ToString() : e.Message;
                Log.ConnectFailed(_owner.Logger, SocketTypes.WireName(_owner.Type), Endpoint, reason, (long)delay.TotalMilliseconds);
                _owner.Raise(SocketEventKind.ConnectRetried, Endpoint, reason);
                if (!await WaitAsync(delay).ConfigureAwait(false))
                {
                    break;
                }

                backoff.Failed();
                continue;
            }

            backoff.Succeeded();
            StreamTuning.Configure(socket, _options.TcpKeepAlive);
            var pipe = _pipe ?? new StreamPipe(_owner, Endpoint, _settings);
            var connection = new Connection(socket, _owner, pipe, _settings, _owner.Logger, _owner.Context.NextIoThread(), pairingWarning: _pairingWarning);
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
                Log.PeerRefused(_owner.Logger, SocketTypes.WireName(_owner.Type), Endpoint, connection.EndReason ?? "handshake refused");
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
}
