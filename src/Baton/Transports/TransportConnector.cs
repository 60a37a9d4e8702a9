using System.Net;
using System.Net.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>Connects to a tcp or ipc endpoint and hands back the connected socket; it knows no sockets, pipes or ZMTP.</summary>
internal sealed class TransportConnector(Endpoint endpoint, bool ipv6)
{
    /// <summary>The endpoint connected to.</summary>
    public Endpoint Endpoint { get; } = endpoint;

    /// <summary>Makes one attempt (each resolved address in turn, for tcp).</summary>
    /// <exception cref="SocketException">No address accepted the connection.</exception>
    /// <exception cref="InvalidEndpointException">The host cannot be resolved.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<NetSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Endpoint.Kind == TransportKind.Ipc)
        {
            var ipc = new NetSocket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await ipc.ConnectAsync(new UnixDomainSocketEndPoint(Endpoint.Address), cancellationToken).ConfigureAwait(false);
                return ipc;
            }
            catch
            {
                ipc.Dispose();
                throw;
            }
        }

        var addresses = await Endpoint.ResolveAsync(ipv6, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new NetSocket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, Endpoint.Port), cancellationToken).ConfigureAwait(false);
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
