using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Cli.Commands;

/// <summary>
/// A command's socket with its context and logging. Closing lingers as the socket's options say,
/// unless the command was interrupted: then whatever is still queued is abandoned after a moment,
/// so Ctrl+C ends even a send whose peer never came.
/// </summary>
internal sealed class SocketSession : IAsyncDisposable
{
    /// <summary>How long an interrupted command lets its socket close (the port or ipc file is freed at once).</summary>
    private static readonly TimeSpan s_interruptedClose = TimeSpan.FromMilliseconds(250);

    private readonly ILoggerFactory _logging;
    private readonly Context _context;
    private readonly CancellationToken _interrupted;
    private ZmqSocket? _socket;
    private Task _handshake = Task.CompletedTask;

    public SocketSession(bool verbose, bool quiet, CancellationToken interrupted)
    {
        _logging = CliLogging.Create(verbose, quiet);
        _context = new Context(_logging);
        _interrupted = interrupted;
    }

    public Context Context => _context;

    /// <summary>The mechanism of the command's socket (its security flags).</summary>
    public SocketSecurity Security { get; init; } = SocketSecurity.Null;

    /// <summary>The ZAP authenticator the security flags started in <see cref="Context"/>, if any; closed after the socket.</summary>
    public IAsyncDisposable? Authenticator { get; set; }

    public ZmqSocket Socket => _socket ?? throw new InvalidOperationException("No socket yet.");

    /// <summary>Creates the socket and binds or connects it.</summary>
    public ZmqSocket Open(ZmqSocketType type, SocketOptions options, string? bind, string? connect)
    {
        _socket = ZmqSocket.Create(type, options, _context);
        if (bind is not null)
        {
            _socket.Bind(bind);
        }
        else
        {
            // Watched from before the connect, so the first handshake's outcome cannot be missed.
            _handshake = FirstHandshakeAsync(_socket.MonitorAsync(_interrupted), options.Security, connect!);

            _socket.Connect(connect!);
        }

        return _socket;
    }

    /// <summary>
    /// For a socket that connected: completes once the first handshake succeeds, and throws a
    /// <see cref="CliFailure"/> naming the reason if the server refused it or hung up during it (a wrong server
    /// key, credentials or a client key it does not allow, or, without security flags, a server that wants a
    /// mechanism), rather than retrying for ever with nothing delivered. Completes at once for a bound socket.
    /// </summary>
    public Task WaitForHandshakeAsync() => _handshake;

    private static async Task FirstHandshakeAsync(IAsyncEnumerable<SocketEvent> events, SocketSecurity security, string endpoint)
    {
        await foreach (var e in events.ConfigureAwait(false))
        {
            switch (e.Kind)
            {
                case SocketEventKind.HandshakeSucceeded:
                    return;
                case SocketEventKind.PeerDropped or SocketEventKind.Disconnected:
                    var reason = e.Reason ?? "the server hung up";
                    var mismatch = reason.Contains("mechanism", StringComparison.Ordinal);
                    if (security == SocketSecurity.Null)
                    {
                        // Without security a hang-up is retried, as ZeroMQ does; a server that wants a mechanism never
                        // takes this client, so that ends the command with what to give.
                        if (!mismatch)
                            continue;
                        throw new CliFailure($"the handshake with {endpoint} failed: {reason} (give the flags the server expects: --curve-client SECRETKEYFILE --curve-serverkey KEY, or --plain USER:PASS)");
                    }

                    var hint = mismatch ? ""
                        : security.IsServer ? " (does the client know this server's public key, or these credentials?)"
                        : security.Mechanism == "CURVE" ? " (is --curve-serverkey the server's key, and is this client's key among those it allows?)"
                        : " (does the server allow these credentials?)";
                    throw new CliFailure($"the {security.Mechanism} handshake with {endpoint} failed: {reason}{hint}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var closing = _socket is null ? Task.CompletedTask : _socket.DisposeAsync().AsTask();
            if (!_interrupted.IsCancellationRequested)
            {
                // Lingers for as long as the options say, unless a signal comes meanwhile.
                await closing.WaitAsync(_interrupted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (closing.IsCompleted)
                {
                    if (Authenticator is not null)
                    {
                        await Authenticator.DisposeAsync();
                    }

                    await _context.DisposeAsync();
                    return;
                }
            }

            // Interrupted. Closing stopped listening and connecting before it began to linger, so the
            // port or ipc file is free already; the process is about to end, which drops the rest.
            await closing.WaitAsync(s_interruptedClose).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            // Writes out the log lines still queued.
            _logging.Dispose();
        }
    }
}
