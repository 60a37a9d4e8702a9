using System.Net.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>Per-connection socket settings shared by listeners and connectors.</summary>
internal static class StreamTuning
{
    public static void Configure(NetSocket socket, bool tcpKeepAlive)
    {
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            // Our write loop batches already; Nagle would only add latency.
            socket.NoDelay = true;
            if (tcpKeepAlive)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            }
        }
    }
}
