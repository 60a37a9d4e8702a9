using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Baton.Internal;
using Baton.Messages;
using Baton.Sockets;
using Baton.Wire;
using Microsoft.Extensions.Logging;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// One ZMTP 3.x stream to a peer: the NULL handshake, then a read loop that decodes every frame a
/// read brings and a write loop that batches many messages into each system call, plus heartbeats.
/// </summary>
internal sealed class Connection
{
    private const int ReadBufferSize = 64 * 1024;
    private const int WriteBufferSize = 64 * 1024;

    /// <summary>Frames above this size are written from their own buffer instead of being copied.</summary>
    private const int CopyThreshold = 16 * 1024;

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
    private int _start;
    private int _end;
    private long _lastReceived;
    private int _remoteTtlMs;
    private int _heartbeatStarted;
    private bool _legacy;
    private bool _ready;
    private volatile bool _draining;
    private string? _abortReason;
    private Message? _partial;
    private long _partialSize;

    public Connection(NetSocket socket, ZmqSocket owner, StreamPipe pipe, SocketOptions options, ILogger logger)
    {
        _socket = socket;
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

            var greeting = new byte[Zmtp.GreetingSize];
            Zmtp.WriteGreeting(greeting, "NULL", asServer: false);
            await SendAllAsync(greeting).ConfigureAwait(false);
            await ReadGreetingAsync().ConfigureAwait(false);
            await SendAllAsync(Zmtp.EncodeReady(SocketTypes.WireName(_owner.Type), _options.Identity)).ConfigureAwait(false);
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
            if (_options.HeartbeatInterval > TimeSpan.Zero)
            {
                heartbeat = StartHeartbeat();
            }

            while (await ReadFramesAsync().ConfigureAwait(false))
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
        _partial?.Dispose();
        _socket.Dispose();
        ArrayPool<byte>.Shared.Return(_readBuffer);
        if (_ready)
        {
            _pipe.Detach(this);
            _owner.OnPipeDisconnected(_pipe);
        }

        var type = SocketTypes.WireName(_owner.Type);
        if (dropped)
        {
            Log.PeerDropped(_logger, type, _pipe.Endpoint, reason);
            _owner.Raise(SocketEventKind.PeerDropped, _pipe.Endpoint, reason);
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
    public void EnqueueSubscription(Message message)
    {
        var body = message.Count > 0 ? message[0].Span : default;
        if (body.IsEmpty)
        {
            return;
        }

        byte[] encoded;
        if (_legacy)
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

    private async Task ReadGreetingAsync()
    {
        while (_end - _start < Zmtp.GreetingSize)
        {
            ValidateGreetingPrefix(_readBuffer.AsSpan(_start, _end - _start));
            if (!await FillAsync().ConfigureAwait(false))
            {
                throw new PeerException("the peer closed the connection during the greeting");
            }
        }

        var greeting = _readBuffer.AsSpan(_start, Zmtp.GreetingSize);
        ValidateGreetingPrefix(greeting);
        _legacy = greeting[11] == 0 && greeting[10] == 3;
        var mechanism = greeting.Slice(12, 20);
        var length = mechanism.IndexOf((byte)0);
        var name = Encoding.ASCII.GetString(length < 0 ? mechanism : mechanism[..length]);
        if (name != "NULL")
        {
            throw new PeerException($"security mechanism mismatch: the peer uses '{name}', this socket uses 'NULL'");
        }

        _start += Zmtp.GreetingSize;
    }

    private static void ValidateGreetingPrefix(ReadOnlySpan<byte> greeting)
    {
        if (greeting.Length >= 1 && greeting[0] != 0xFF)
        {
            throw new PeerException($"not a ZMTP greeting (first byte 0x{greeting[0]:X2})");
        }

        if (greeting.Length >= 10 && (greeting[9] & 1) != 1)
        {
            throw new PeerException("ZMTP 1.0 peers are not supported");
        }

        if (greeting.Length >= 11 && greeting[10] < 3)
        {
            throw new PeerException($"ZMTP {greeting[10]}.x peers are not supported (3.0 or later needed)");
        }
    }

    /// <summary>Reads once and decodes every complete frame; false at end of stream.</summary>
    private async ValueTask<bool> ReadFramesAsync()
    {
        var wasReady = _ready;
        while (true)
        {
            var available = _end - _start;
            if (available < 2)
            {
                break;
            }

            var buffer = _readBuffer;
            var flags = buffer[_start];
            if ((flags & 0xF8) != 0)
            {
                throw new PeerException($"malformed frame: reserved flag bits set (0x{flags:X2})");
            }

            var isLong = (flags & Zmtp.FlagLong) != 0;
            var headerSize = isLong ? 9 : 2;
            if (available < headerSize)
            {
                break;
            }

            var size = isLong
                ? BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(_start + 1, 8))
                : buffer[_start + 1];
            var isCommand = (flags & Zmtp.FlagCommand) != 0;
            var more = (flags & Zmtp.FlagMore) != 0;
            if (isCommand)
            {
                if (more)
                {
                    throw new PeerException("malformed frame: a command with the MORE flag");
                }

                if (size > (ulong)(ReadBufferSize - headerSize))
                {
                    throw new PeerException($"command of {size} bytes is larger than any valid command");
                }

                if ((ulong)(available - headerSize) < size)
                {
                    break;
                }

                var body = buffer.AsSpan(_start + headerSize, (int)size);
                _start += headerSize + (int)size;
                HandleCommand(body);
                if (_ready && !wasReady)
                {
                    // Handshake done: let the caller start the write loop before we block on a read.
                    return true;
                }

                continue;
            }

            if (!_ready)
            {
                throw new PeerException("the peer sent a message before completing the handshake");
            }

            if (size > int.MaxValue - 64 || (_options.MaxMessageSize >= 0 && (long)size + _partialSize > _options.MaxMessageSize))
            {
                throw new PeerException($"message larger than the maximum message size ({_options.MaxMessageSize} bytes): a frame of {size} bytes");
            }

            var frameSize = (int)size;
            Frame frame;
            if (available - headerSize >= frameSize)
            {
                frame = Frame.Rent(frameSize);
                if (frameSize > 0)
                {
                    buffer.AsSpan(_start + headerSize, frameSize).CopyTo(frame.Array);
                }

                _start += headerSize + frameSize;
            }
            else if (frameSize > ReadBufferSize / 2)
            {
                // Large frame: read the rest straight into the frame's own buffer, no second copy.
                // Beyond EagerFrameLimit the buffer grows with the data that actually arrives, so a
                // 9-byte header alone cannot make us commit gigabytes.
                var capacity = Math.Min(frameSize, EagerFrameLimit);
                var array = capacity > 1 << 20 ? GC.AllocateUninitializedArray<byte>(capacity) : ArrayPool<byte>.Shared.Rent(capacity);
                var pooled = capacity <= 1 << 20;
                var have = available - headerSize;
                buffer.AsSpan(_start + headerSize, have).CopyTo(array);
                _start = _end = 0;
                while (have < frameSize)
                {
                    if (have == array.Length)
                    {
                        var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)array.Length * 2, frameSize));
                        array.AsSpan(0, have).CopyTo(grown);
                        if (pooled)
                        {
                            ArrayPool<byte>.Shared.Return(array);
                        }

                        array = grown;
                        pooled = false;
                    }

                    var read = await _socket.ReceiveAsync(array.AsMemory(have, Math.Min(frameSize, array.Length) - have), SocketFlags.None, _abort.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        if (pooled)
                        {
                            ArrayPool<byte>.Shared.Return(array);
                        }

                        throw new PeerException("the peer hung up in the middle of a frame");
                    }

                    have += read;
                    Volatile.Write(ref _lastReceived, Environment.TickCount64);
                }

                frame = new Frame(array, frameSize, pooled);
            }
            else
            {
                break;
            }

            _partial ??= new Message();
            _partial.Append(frame);
            _partialSize += frameSize;
            if (!more)
            {
                var message = _partial;
                _partial = null;
                _partialSize = 0;
                _owner.Deliver(_pipe, message);
                // While the socket closes nobody will receive: keep reading so the peer's end of stream is seen.
                while (_pipe.IsInboundFull && !_abort.IsCancellationRequested && !_draining)
                {
                    await _pipe.InboundSpace.WaitAsync().ConfigureAwait(false);
                }

                _abort.Token.ThrowIfCancellationRequested();
            }
        }

        return await FillAsync().ConfigureAwait(false);
    }

    private async ValueTask<bool> FillAsync()
    {
        if (_start > 0)
        {
            var pending = _end - _start;
            if (pending > 0)
            {
                Buffer.BlockCopy(_readBuffer, _start, _readBuffer, 0, pending);
            }

            _start = 0;
            _end = pending;
        }

        var read = await _socket.ReceiveAsync(_readBuffer.AsMemory(_end), SocketFlags.None, _abort.Token).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }

        _end += read;
        Volatile.Write(ref _lastReceived, Environment.TickCount64);
        return true;
    }

    private void HandleCommand(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body.Length < 1 + body[0])
        {
            throw new PeerException("malformed command frame");
        }

        var name = body.Slice(1, body[0]);
        var data = body[(1 + body[0])..];
        if (!_ready)
        {
            if (name.SequenceEqual(Zmtp.Ready))
            {
                HandleReady(data);
                return;
            }

            if (name.SequenceEqual(Zmtp.Error))
            {
                throw new PeerException($"the peer refused the handshake: {ErrorReason(data)}", fatal: true);
            }

            throw new PeerException($"unexpected command '{Encoding.ASCII.GetString(name)}' during the handshake");
        }

        if (name.SequenceEqual(Zmtp.Ping))
        {
            if (data.Length < 2 || data.Length > 18)
            {
                throw new PeerException("malformed PING command");
            }

            var ttl = BinaryPrimitives.ReadUInt16BigEndian(data) * 100;
            if (ttl > 0)
            {
                Volatile.Write(ref _remoteTtlMs, ttl);
                StartHeartbeat();
            }

            EnqueueCommand(Zmtp.EncodePong(data[2..]));
        }
        else if (name.SequenceEqual(Zmtp.Pong))
        {
            // Any traffic counts as liveness; the read itself refreshed the timestamp.
        }
        else if (name.SequenceEqual(Zmtp.Subscribe) || name.SequenceEqual(Zmtp.Cancel))
        {
            if (_owner.Type is not (Sockets.SocketType.Pub or Sockets.SocketType.XPub))
            {
                // Only publishers take subscriptions; elsewhere the command must not surface as a message.
                return;
            }

            var subscription = Frame.Rent(data.Length + 1);
            subscription.Array![0] = name.SequenceEqual(Zmtp.Subscribe) ? (byte)1 : (byte)0;
            data.CopyTo(subscription.Array.AsSpan(1));
            _owner.Deliver(_pipe, new Message(subscription) { Kind = MessageKind.Subscription });
        }
        else if (name.SequenceEqual(Zmtp.Error))
        {
            throw new PeerException($"the peer sent ERROR: {ErrorReason(data)}", fatal: true);
        }
        else if (name.SequenceEqual(Zmtp.Ready))
        {
            throw new PeerException("a second READY command");
        }

        // Unknown commands are ignored, as RFC 37 allows for forward compatibility.
    }

    private static string ErrorReason(ReadOnlySpan<byte> data)
        => data.Length >= 1 && data.Length >= 1 + data[0] ? Encoding.ASCII.GetString(data.Slice(1, data[0])) : "(no reason)";

    private void HandleReady(ReadOnlySpan<byte> data)
    {
        if (!Metadata.TryParse(data, out var metadata, out var error))
        {
            throw new PeerException($"malformed READY metadata: {error}");
        }

        var typeBytes = metadata["Socket-Type"] ?? throw new PeerException("READY without a Socket-Type property");
        var typeName = Encoding.ASCII.GetString(typeBytes);
        if (!SocketTypes.TryParse(typeName, out var peerType))
        {
            throw new PeerException($"unknown peer socket type '{typeName}'");
        }

        if (!SocketTypes.AreCompatible(_owner.Type, peerType))
        {
            SendErrorBestEffort("Invalid socket type");
            throw new PeerException($"invalid socket pairing: a {SocketTypes.WireName(_owner.Type)} socket cannot talk to a {typeName} socket");
        }

        var identity = metadata["Identity"];
        _pipe.PeerType = peerType;
        _pipe.PeerIdentity = identity is { Length: > 0 } ? identity : null;
        _pipe.Attach(this);
        _ready = true;
        if (!_owner.OnPipeConnected(_pipe, out var refusal))
        {
            _ready = false;
            _pipe.Detach(this);
            throw new PeerException(refusal ?? "refused by the socket");
        }

        Log.PeerConnected(_logger, SocketTypes.WireName(_owner.Type), _pipe.Endpoint, typeName, _legacy ? 0 : 1);
        _owner.Raise(SocketEventKind.HandshakeSucceeded, _pipe.Endpoint);
    }

    private void SendErrorBestEffort(string reason)
    {
        try
        {
            _socket.Send(Zmtp.EncodeError(reason), SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private Task StartHeartbeat()
    {
        if (Interlocked.Exchange(ref _heartbeatStarted, 1) == 1)
        {
            return Task.CompletedTask;
        }

        return HeartbeatLoopAsync();
    }

    private async Task HeartbeatLoopAsync()
    {
        var interval = (long)_options.HeartbeatInterval.TotalMilliseconds;
        var timeout = (long)_options.HeartbeatTimeout.TotalMilliseconds;
        long lastPing = Environment.TickCount64;
        var awaitingTraffic = false;
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                var ttl = Volatile.Read(ref _remoteTtlMs);
                var tick = interval > 0 ? Math.Min(interval, Math.Max(timeout, 1)) : Math.Max(ttl / 4, 10);
                await Task.Delay(TimeSpan.FromMilliseconds(tick), _abort.Token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                var last = Volatile.Read(ref _lastReceived);
                if (interval > 0)
                {
                    if (awaitingTraffic && last < lastPing && now - lastPing >= timeout)
                    {
                        Abort($"no traffic for {timeout} ms after a PING (heartbeat timeout)");
                        return;
                    }

                    if (now - lastPing >= interval)
                    {
                        EnqueueCommand(Zmtp.EncodePing(_options.HeartbeatTtl, default));
                        lastPing = now;
                        awaitingTraffic = true;
                    }
                }

                ttl = Volatile.Read(ref _remoteTtlMs);
                if (ttl > 0 && now - last > ttl)
                {
                    Abort($"nothing heard from the peer within its heartbeat TTL of {ttl} ms");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(WriteBufferSize);
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                var used = 0;
                while (_commands.TryDequeue(out var command))
                {
                    if (used + command.Length > buffer.Length)
                    {
                        await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                        used = 0;
                    }

                    command.CopyTo(buffer, used);
                    used += command.Length;
                }

                while (used < WriteBufferSize / 2 && _pipe.TryDequeue(out var message))
                {
                    try
                    {
                        used = await EncodeAsync(message, buffer, used).ConfigureAwait(false);
                    }
                    finally
                    {
                        message.Release();
                    }
                }

                if (used > 0)
                {
                    await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                    continue;
                }

                if (_draining && _pipe.OutboundCount == 0 && _commands.IsEmpty)
                {
                    _drained.TrySetResult();

                    // Half-close: the peer reads everything, sees end of stream and closes; we keep
                    // reading until then so no unread data turns our close into a reset.
                    _socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                await _pipe.OutboundSignal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            Abort(e is SocketException se ? $"write failed: {se.SocketErrorCode}" : _abortReason ?? "closed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> EncodeAsync(Message message, byte[] buffer, int used)
    {
        var count = message.Count;
        for (var i = 0; i < count; i++)
        {
            var frame = message[i];
            var flags = i < count - 1 ? Zmtp.FlagMore : (byte)0;
            if (buffer.Length - used < Zmtp.MaxHeaderSize)
            {
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
            }

            used += Zmtp.WriteHeader(buffer.AsSpan(used), flags, frame.Length);
            if (frame.Length <= CopyThreshold)
            {
                if (buffer.Length - used < frame.Length)
                {
                    await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                    used = 0;
                }

                frame.Span.CopyTo(buffer.AsSpan(used));
                used += frame.Length;
            }
            else
            {
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
                await SendAllAsync(frame.Memory).ConfigureAwait(false);
            }
        }

        return used;
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, _abort.Token).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
