using System.Net;
using System.Net.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>
/// A bound tcp or ipc endpoint that hands back each connected peer (as Kestrel's
/// SocketConnectionListener does); it knows no sockets, pipes or ZMTP. An ipc listener owns its path.
/// </summary>
internal sealed class TransportListener : IDisposable
{
    private readonly NetSocket _socket;
    private readonly string? _ipcPath;
    private readonly IpcPath.FileIdentity? _ipcIdentity;
    private int _disposed;

    private TransportListener(NetSocket socket, string requested, string bound, string? ipcPath, IpcPath.FileIdentity? ipcIdentity)
    {
        _socket = socket;
        RequestedEndpoint = requested;
        BoundEndpoint = bound;
        _ipcPath = ipcPath;
        _ipcIdentity = ipcIdentity;
    }

    /// <summary>The endpoint as the user gave it.</summary>
    public string RequestedEndpoint { get; }

    /// <summary>The endpoint actually bound (port and path resolved).</summary>
    public string BoundEndpoint { get; }

    /// <summary>Binds and listens on a tcp or ipc endpoint.</summary>
    /// <exception cref="EndpointInUseException">Another socket holds the address.</exception>
    /// <exception cref="InvalidEndpointException">The endpoint cannot be bound.</exception>
    public static TransportListener Bind(Endpoint endpoint, bool ipv6)
    {
        if (endpoint.Kind == TransportKind.Tcp)
        {
            var address = endpoint.ResolveAsync(ipv6, CancellationToken.None).GetAwaiter().GetResult()[0];
            var socket = new NetSocket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(new IPEndPoint(address, endpoint.Port));
                socket.Listen(); // the system maximum: a burst of thousands of connects is not refused
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw e.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? new EndpointInUseException(endpoint.Text, e)
                    : new InvalidEndpointException(endpoint.Text, $"cannot bind: {TcpBindFailure(e, address)}", e);
            }

            var bound = Endpoint.FormatTcp((IPEndPoint)socket.LocalEndPoint!);
            return new TransportListener(socket, endpoint.Text, bound, null, null);
        }

        var path = endpoint.Address == "*"
            ? Path.Combine(Path.GetTempPath(), $"baton-{Guid.NewGuid():N}.ipc")
            : endpoint.Address;
        var ipc = new NetSocket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        IpcPath.FileIdentity? identity;
        try
        {
            // A live listener's path is refused; a file left by a socket that died is taken over.
            identity = IpcPath.BindAndListen(ipc, path, endpoint.Text);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or EndpointInUseException)
        {
            ipc.Dispose();
            throw e switch
            {
                EndpointInUseException inUse => inUse,
                SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } => new EndpointInUseException(endpoint.Text, e),
                _ => new InvalidEndpointException(endpoint.Text, $"cannot bind: {IpcBindFailure(e, path)}", e),
            };
        }

        return new TransportListener(ipc, endpoint.Text, "ipc://" + path, path, identity);
    }

    /// <summary>Why a tcp bind failed, in words: the socket error's own text is often about something else.</summary>
    private static string TcpBindFailure(SocketException e, IPAddress address) => e.SocketErrorCode switch
    {
        // EADDRNOTAVAIL ("cannot assign requested address") means no interface here has that address.
        SocketError.AddressNotAvailable => $"{address} is not an address of this machine",
        SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
        _ => e.Message,
    };

    /// <summary>Why an ipc bind failed, in words.</summary>
    /// <remarks>
    /// A missing folder surfaces as ENOENT, which .NET reports as "cannot assign requested address"
    /// (AddressNotAvailable); the folder is checked after the failure, so the common case costs nothing.
    /// </remarks>
    private static string IpcBindFailure(Exception e, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            return $"the folder '{folder}' does not exist";
        }

        return e is SocketException { SocketErrorCode: SocketError.AccessDenied } or UnauthorizedAccessException
            ? $"permission denied in the folder '{folder}'"
            : e.Message;
    }

    /// <summary>Waits for the next peer and returns its connected socket.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="SocketException">The accept failed (out of descriptors and the like); the listener goes on.</exception>
    public ValueTask<NetSocket> AcceptAsync(CancellationToken cancellationToken) => _socket.AcceptAsync(cancellationToken);

    /// <summary>The listening socket, for a caller that waits for its readiness itself (see <see cref="TryAccept"/>).</summary>
    public NetSocket Socket => _socket;

    /// <summary>Accepts a waiting peer without blocking (the socket must be non-blocking); <see cref="SocketError.WouldBlock"/> when none waits.</summary>
    public SocketError TryAccept(out NetSocket? peer)
    {
        try
        {
            peer = _socket.Accept();
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            peer = null;
            return e.SocketErrorCode;
        }
    }

    /// <summary>Stops listening and removes the ipc file, if it is still ours; connections already made stay.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        if (_ipcPath is not null)
        {
            // Only if it is still our file: another listener may have taken the path over since.
            IpcPath.Release(_ipcPath, _ipcIdentity);
        }
    }
}
