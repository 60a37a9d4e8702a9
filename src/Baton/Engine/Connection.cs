using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Baton.Internal;
using Baton.Messages;
using Baton.Wire;
using Baton.Wire.Mechanisms;
using Microsoft.Extensions.Logging;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// One ZMTP stream to a peer (3.x; 2.0 and 1.0 peers see Connection.Legacy.cs): the mechanism's
/// handshake, then a read loop that decodes every frame a read brings and a write loop that batches many
/// messages into each system call, plus heartbeats.
/// </summary>
internal sealed partial class Connection
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>The read buffer of a handshake: greeting and READY fit; it doubles only for a larger command.</summary>
    private const int HandshakeBufferSize = 512;

    /// <summary>A frame that is not whole and larger than this is gathered in its own buffer (see ReadLargeFrameAsync).</summary>
    private const int LargeFrameSize = ReadBufferSize / 2;

    /// <summary>The first buffer of a large frame, unless more has already arrived; it doubles as data comes.</summary>
    private const int LargeFrameInitial = 64 * 1024;

    /// <summary>
    /// Bytes of commands (PINGs, subscriptions) that may wait for a peer that does not read before it is
    /// dropped. Large, because a socket resends its whole subscription set at once on connecting.
    /// </summary>
    private const long MaxQueuedCommandBytes = 16 << 20;

    /// <summary>What a queued command costs besides its body: the array's header and the queue slot.</summary>
    private const int QueuedCommandOverhead = 48;

    private readonly NetSocket _socket;
    private readonly StreamIo _io;
    private readonly IPipeOwner _owner;
    private readonly StreamPipe _pipe;
    private readonly EngineSettings _options;
    private readonly ILogger _logger;
    private readonly Mechanism _mechanism;

    // Frames to write other than messages: flags and unframed body, framed by the mechanism at write time.
    private readonly ConcurrentQueue<(byte Flags, byte[] Body)> _commands = new();
    private readonly List<byte[]> _handshakeReplies = [];

    // The ZAP handler's verdict on this peer, when one was asked: its User-Id and metadata go on every message.
    private ZapReply? _zapReply;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _transforms;
    private FrameDecoder _decoder;
    private Action? _handshakeEnded;
    private byte[] _readBuffer = [];
    private bool _socketDrained;
    private long _queuedCommandBytes;

    // The PONG body owed to the peer: one at most, a newer PING replaces it (as libzmq does), so a peer
    // that sends PINGs and never reads cannot grow a queue.
    private byte[]? _pendingPong;

    // 1 while the write loop or a sender writing inline owns the socket's send side. The handshake holds it
    // from the start until its last reply is written: the pipe is attached (and senders may write inline)
    // when the handshake completes, which for a PLAIN or CURVE server is before its READY has gone out.
    private int _writeOwner = 1;

    /// <summary>True while the write loop or an inline writer holds the send side (for assertions).</summary>
    internal bool IsSendSideOwned => Volatile.Read(ref _writeOwner) != 0;

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
    private bool _zmtp30;
    private bool _ready;
    private volatile bool _draining;
    private string? _abortReason;
    private MessageBody? _partial;

    // Messages decoded from one read, handed to the socket together (see DeliverBatchAsync).
    private readonly MessageBody[] _batch = new MessageBody[64];
    private int _batched;

    // Set when the handshake found the peer's socket type incompatible: a drop that repeats at every reconnect.
    private bool _invalidPairing;
    private readonly RepeatedWarning? _pairingWarning;

    // handshakeEnded: called once, when the handshake succeeded or the connection ended before that.
    // pairingWarning: shared by the connections to one peer, so an invalid pairing warns once, not at each reconnect.
    public Connection(NetSocket socket, IPipeOwner owner, StreamPipe pipe, EngineSettings options, ILogger logger, IoThread? ioThread, Action? handshakeEnded = null, RepeatedWarning? pairingWarning = null)
    {
        _pairingWarning = pairingWarning;
        _socket = socket;

        // Read once, while the stream is surely connected: monitor events need it after it has gone.
        PeerAddress = Transports.Endpoint.FormatPeer(socket, pipe.Endpoint);
        ZapAddress = ZapAddressOf(socket);

        // Synchronous sends (inline writes) must never block the caller; async operations are unaffected.
        _socket.Blocking = false;
        _owner = owner;
        _pipe = pipe;
        _options = options;
        _logger = logger;
        _handshakeEnded = handshakeEnded;
        _mechanism = options.Mechanism.Create();
        _transforms = _mechanism.TransformsBytes;
        _io = StreamIo.Create(socket, ioThread, _abort.Token);
        _decoder = new FrameDecoder(options.MaxMessageSize, options.MaxFramesPerMessage, ReadBufferSize - Zmtp.MaxHeaderSize, LargeFrameSize);
    }

    /// <summary>The address at the other end (<c>tcp://host:port</c>, or the ipc path); null if the stream had already gone.</summary>
    public string? PeerAddress { get; }

    /// <summary>The peer's address as ZAP requests carry it (RFC 27: the IP address as text; empty for ipc).</summary>
    public string ZapAddress { get; }

    /// <summary>The ZAP handler's verdict on this peer; null when no handler was asked (or none was bound).</summary>
    public ZapReply? ZapReply => _zapReply;

    /// <summary>Set when the peer sent ERROR: the connector must not try again.</summary>
    public bool PeerRefused { get; private set; }

    /// <summary>Why the connection ended, as logged (the peer's ERROR text among it when <see cref="PeerRefused"/>).</summary>
    public string? EndReason => _abortReason;

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
        IDisposable? handshakeTimer = null;
        _readBuffer = ArrayPool<byte>.Shared.Rent(HandshakeBufferSize);
        _lastReceived = Environment.TickCount64;
        try
        {
            // From here on the connection runs on its I/O thread (or the pool): never on the caller's.
            await _io.YieldAsync().ConfigureAwait(false);
            if (_options.HandshakeInterval > TimeSpan.Zero)
            {
                handshakeTimer = _io.StartTimer(_options.HandshakeInterval, static state => ((Connection)state!).Abort("the ZMTP handshake did not complete in time"), this);
            }

            // False: a ZMTP 2.0 or 1.0 peer, handshaken already (see Connection.Legacy.cs).
            if (await ExchangeGreetingAsync().ConfigureAwait(false))
            {
                foreach (var frame in _mechanism.Start(Commands.ReadyMetadata(PeerTypes.WireName(_options.SocketType), _options.Identity)))
                {
                    await SendAllAsync(frame).ConfigureAwait(false);
                }

                await AuthenticateIfAskedAsync().ConfigureAwait(false);
            }

            while (!_ready)
            {
                if (!await ReadFramesAsync().ConfigureAwait(false))
                {
                    throw new PeerException("the peer closed the connection during the handshake");
                }

                await AuthenticateIfAskedAsync().ConfigureAwait(false);

                // The mechanism's answers, the one completing the handshake included (CURVE's server READY).
                foreach (var reply in _handshakeReplies)
                {
                    await SendAllAsync(reply).ConfigureAwait(false);
                }

                _handshakeReplies.Clear();
            }

            EndHandshake();
            handshakeTimer?.Dispose();
            handshakeTimer = null;
            Volatile.Write(ref _writeOwner, 0);
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
        EndHandshake();
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
        _io.Dispose();
        _socket.Dispose();

        // Only now may the mechanism wipe its keys: whatever is encoded from here on (by a sender writing
        // inline, say) is encoded after the socket closed, so it can never be sent under a wiped key.
        _mechanism.End();
        if (_readBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = [];
        }
        if (_ready)
        {
            _owner.Metrics.ConnectionClosed();
            _pipe.Detach(this);
            _owner.OnPipeDisconnected(_pipe);
        }

        var type = PeerTypes.WireName(_options.SocketType);
        if (dropped)
        {
            if (_invalidPairing && _pairingWarning is not null && !_pairingWarning.TryWarn())
            {
                Log.PeerDroppedAgain(_logger, type, _pipe.Endpoint, reason);
            }
            else
            {
                Log.PeerDropped(_logger, type, _pipe.Endpoint, reason);
            }

            _owner.OnPeerGone(_pipe.Endpoint, PeerAddress, reason, dropped: true);
            _owner.Metrics.PeerDropped();
        }
        else
        {
            Log.PeerDisconnected(_logger, type, _pipe.Endpoint, reason);
            _owner.OnPeerGone(_pipe.Endpoint, PeerAddress, reason, dropped: false);
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

    /// <summary>Queues a subscription change (message form 1/0 + topic): a SUBSCRIBE/CANCEL command, or the message itself for a ZMTP 3.0 peer.</summary>
    public void EnqueueSubscription(MessageBody message)
    {
        var body = message.FrameCount > 0 ? message.FrameAt(0).Span : default;
        if (body.IsEmpty)
        {
            return;
        }

        EnqueueCommand(Subscriptions.Encode(body, _zmtp30));
    }

    /// <summary>Queues a frame for the write loop; a peer that lets too many pile up (it does not read) is dropped.</summary>
    private void EnqueueCommand((byte Flags, byte[] Body) frame)
    {
        var cost = frame.Body.Length + QueuedCommandOverhead;
        if (Interlocked.Add(ref _queuedCommandBytes, cost) > MaxQueuedCommandBytes)
        {
            Interlocked.Add(ref _queuedCommandBytes, -cost);
            Abort($"the peer does not read: more than {MaxQueuedCommandBytes >> 20} MB of commands are waiting to be written");
            return;
        }

        _commands.Enqueue(frame);
        _pipe.OutboundSignal.Set();
    }

    /// <summary>Owes the peer a PONG; a PONG still unwritten is replaced, so at most one waits.</summary>
    private void QueuePong(ReadOnlySpan<byte> context)
    {
        Volatile.Write(ref _pendingPong, Commands.PongBody(context));
        _pipe.OutboundSignal.Set();
    }

    private bool HasCommands => !_commands.IsEmpty || Volatile.Read(ref _pendingPong) is not null;

    /// <summary>
    /// Asks the ZAP handler when the mechanism wants it (RFC 27), hands its verdict to the mechanism and,
    /// when that completes the handshake, readies the connection. A refusal's ERROR is written before the drop.
    /// </summary>
    private async ValueTask AuthenticateIfAskedAsync()
    {
        var request = _mechanism.TakeZapRequest();
        if (request is null)
        {
            return;
        }

        var reply = await _owner.AuthenticateAsync(request, ZapAddress, _abort.Token).ConfigureAwait(false);

        // The handler's answer may come on any thread: the connection goes on on its own.
        await _io.YieldAsync().ConfigureAwait(false);
        _zapReply = reply;
        Metadata? metadata;
        try
        {
            metadata = _mechanism.OnZapReply(reply, _handshakeReplies);
        }
        catch (PeerException)
        {
            foreach (var frame in _handshakeReplies)
            {
                await SendAllAsync(frame).ConfigureAwait(false);
            }

            _handshakeReplies.Clear();
            throw;
        }

        if (metadata is not null)
        {
            HandleReady(metadata);
        }
    }

    private static string ZapAddressOf(NetSocket socket)
    {
        try
        {
            return socket.RemoteEndPoint is System.Net.IPEndPoint ip
                ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString()
                : "";
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return "";
        }
    }

    private void EndHandshake() => Interlocked.Exchange(ref _handshakeEnded, null)?.Invoke();

    /// <summary>The handshake is done: joins the pipe to this connection and offers it to the owner, which may refuse it.</summary>
    /// <exception cref="PeerException">The owner refused the peer.</exception>
    private void AttachPipe(Metadata? peerMetadata = null)
    {
        _properties = BuildProperties(peerMetadata);
        _pipe.Attach(this);
        _ready = true;
        if (_transforms)
        {
            // From here every frame is transformed: limits hold on the decoded frames (docs/WIRE.md).
            _decoder.BeginTransformed(_mechanism.MaxEncodedLength(0) - Zmtp.MaxHeaderSize);
        }
        if (!_owner.OnPipeConnected(_pipe, out var refusal))
        {
            _ready = false;
            _pipe.Detach(this);
            throw new PeerException(refusal ?? "refused by the socket");
        }
    }
}
