using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Baton.Internal;
using Baton.Messages;
using Baton.Sockets;
using Baton.Wire;
using Microsoft.Extensions.Logging;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// One ZMTP stream to a peer (3.x; 2.0 and 1.0 peers see Connection.Legacy.cs): the NULL handshake,
/// then a read loop that decodes every frame a read brings and a write loop that batches many messages
/// into each system call, plus heartbeats.
/// </summary>
internal sealed partial class Connection
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>Frames up to this size get their whole buffer when the header arrives.</summary>
    private const int EagerFrameLimit = 256 * 1024 * 1024;

    private readonly NetSocket _socket;
    private readonly ZmqSocket _owner;
    private readonly StreamPipe _pipe;
    private readonly SocketOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<byte[]> _commands = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _readBuffer = [];
    private bool _socketDrained;

    // 1 while the write loop or a sender writing inline owns the socket's send side.
    private int _writeOwner;

    // Set when messages arrive, spent by an inline write: see TryWriteInline.
    private volatile bool _inlineAllowed = true;

    // A chunk an inline write could not finish, and how much of it went out.
    private StreamPipe.Segment _remainder;
    private int _remainderOffset;
    private int _start;
    private int _end;
    private long _lastReceived;
    private int _remoteTtlMs;
    private int _heartbeatStarted;
    private bool _legacy;
    private bool _ready;
    private volatile bool _draining;
    private string? _abortReason;
    private MessageBody? _partial;

    // Messages decoded from one read, handed to the socket together (see DeliverBatchAsync).
    private readonly MessageBody[] _batch = new MessageBody[64];
    private int _batched;
    private long _partialSize;

    public Connection(NetSocket socket, ZmqSocket owner, StreamPipe pipe, SocketOptions options, ILogger logger)
    {
        _socket = socket;

        // Synchronous sends (inline writes) must never block the caller; async operations are unaffected.
        _socket.Blocking = false;
        _owner = owner;
        _pipe = pipe;
        _options = options;
        _logger = logger;
    }

    /// <summary>Set when the peer sent ERROR: the connector must not try again.</summary>
    public bool PeerRefused { get; private set; }

    /// <summary>Completes when, asked to drain, every queued message has been written.</summary>
    public Task Drained => _drained.Task;

    public bool IsReady => _ready;

    public StreamPipe Pipe => _pipe;

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync()
    {
        string reason;
        var dropped = false;
        Task? writer = null;
        Task? heartbeat = null;
        Timer? handshakeTimer = null;
        _readBuffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        _lastReceived = Environment.TickCount64;
        try
        {
            if (_options.HandshakeInterval > TimeSpan.Zero)
            {
                handshakeTimer = new Timer(static state => ((Connection)state!).Abort("the ZMTP handshake did not complete in time"), this, _options.HandshakeInterval, Timeout.InfiniteTimeSpan);
            }

            // False: a ZMTP 2.0 or 1.0 peer, handshaken already (see Connection.Legacy.cs).
            if (await ExchangeGreetingAsync().ConfigureAwait(false))
            {
                await SendAllAsync(Zmtp.EncodeReady(SocketTypes.WireName(_owner.Type), _options.Identity)).ConfigureAwait(false);
            }

            while (!_ready)
            {
                if (!await ReadFramesAsync().ConfigureAwait(false))
                {
                    throw new PeerException("the peer closed the connection during the handshake");
                }
            }

            handshakeTimer?.Dispose();
            handshakeTimer = null;
            writer = WriteLoopAsync();
            if (_options.HeartbeatInterval > TimeSpan.Zero && _framing == 3)
            {
                heartbeat = StartHeartbeat();
            }

            while (await (_framing == 1 ? ReadFramesV1Async() : ReadFramesAsync()).ConfigureAwait(false))
            {
            }

            // Bytes left undecoded at end of stream are a frame cut short: a drop, not a clean close.
            reason = _partial is not null ? "the peer hung up in the middle of a message"
                : _end > _start ? "the peer hung up in the middle of a frame"
                : "the peer closed the connection";
            dropped = _partial is not null || _end > _start;
        }
        catch (PeerException e)
        {
            reason = e.Message;
            dropped = true;
            PeerRefused = e.Fatal;
        }
        catch (OutOfMemoryException)
        {
            reason = "out of memory for the peer's message (set MaxMessageSize to bound it)";
            dropped = true;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            reason = _abortReason ?? (e is SocketException se ? se.SocketErrorCode.ToString() : "closed");
            dropped = _abortReason is not null && !_draining;
        }

        handshakeTimer?.Dispose();
        _abortReason ??= reason;
        _abort.Cancel();
        _pipe.OutboundSignal.Set();
        _pipe.InboundSpace.Set();
        if (writer is not null)
        {
            await writer.ConfigureAwait(false);
        }

        if (heartbeat is not null)
        {
            await heartbeat.ConfigureAwait(false);
        }

        _drained.TrySetResult();
        _partial?.Release();
        // Whole messages that came before the fault are the peer's, and are kept, as if delivered one by one.
        DeliverPending();
        _socket.Dispose();
        if (_readBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = [];
        }
        if (_ready)
        {
            BatonMetrics.Connections.Add(-1, _owner.MetricTag);
            _pipe.Detach(this);
            _owner.OnPipeDisconnected(_pipe);
        }

        var type = SocketTypes.WireName(_owner.Type);
        if (dropped)
        {
            Log.PeerDropped(_logger, type, _pipe.Endpoint, reason);
            _owner.Raise(SocketEventKind.PeerDropped, _pipe.Endpoint, reason);
            BatonMetrics.PeersDropped.Add(1, _owner.MetricTag);
        }
        else
        {
            Log.PeerDisconnected(_logger, type, _pipe.Endpoint, reason);
            _owner.Raise(SocketEventKind.Disconnected, _pipe.Endpoint, reason);
        }
    }

    /// <summary>Asks the write loop to finish the queue, then half-close; see <see cref="Drained"/>.</summary>
    public void BeginDrain()
    {
        _draining = true;
        _pipe.OutboundSignal.Set();
        _pipe.InboundSpace.Set();
    }

    /// <summary>Ends the connection because the owning socket closed (not logged as a drop).</summary>
    public void Close()
    {
        _draining = true;
        Abort("the socket was closed");
    }

    /// <summary>Ends the connection now with the given reason.</summary>
    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _pipe.OutboundSignal.Set();
        _pipe.InboundSpace.Set();
    }

    /// <summary>Queues a subscription change: a SUBSCRIBE/CANCEL command, or the 3.0 message form.</summary>
    public void EnqueueSubscription(MessageBody message)
    {
        var body = message.FrameCount > 0 ? message.FrameAt(0).Span : default;
        if (body.IsEmpty)
        {
            return;
        }

        byte[] encoded;
        if (_framing == 1)
        {
            encoded = Zmtp1Codec.EncodeFrame(body, more: false);
        }
        else if (_legacy)
        {
            encoded = new byte[Zmtp.MaxHeaderSize + body.Length];
            var header = Zmtp.WriteHeader(encoded, 0, body.Length);
            body.CopyTo(encoded.AsSpan(header));
            encoded = encoded.AsSpan(0, header + body.Length).ToArray();
        }
        else
        {
            encoded = Zmtp.EncodeCommand(body[0] == 1 ? Zmtp.Subscribe : Zmtp.Cancel, body[1..]);
        }

        EnqueueCommand(encoded);
    }

    private void EnqueueCommand(byte[] encoded)
    {
        _commands.Enqueue(encoded);
        _pipe.OutboundSignal.Set();
    }
}
