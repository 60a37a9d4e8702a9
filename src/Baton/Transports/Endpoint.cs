using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Baton.Transports;

/// <summary>A parsed endpoint: <c>tcp://host:port</c>, <c>ipc://path</c> or <c>inproc://name</c>.</summary>
internal sealed record Endpoint(string Text, TransportKind Kind, string Address, string? Host, int Port)
{
    /// <summary>Longest path a Unix domain socket address holds (sun_path less the terminator).</summary>
    private const int MaxIpcPath = 107;

    public static Endpoint Parse(string text, bool forBind)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new InvalidEndpointException(text, "expected transport://address, for example tcp://127.0.0.1:5555");
        }

        var scheme = text[..separator];
        var address = text[(separator + 3)..];
        if (address.Length == 0)
        {
            throw new InvalidEndpointException(text, "the address is empty");
        }

        switch (scheme)
        {
            case "tcp":
                return ParseTcp(text, address, forBind);
            case "ipc":
                if (address != "*" && System.Text.Encoding.UTF8.GetByteCount(address) > MaxIpcPath)
                {
                    throw new InvalidEndpointException(text, $"an ipc path may be at most {MaxIpcPath} bytes long");
                }

                return new Endpoint(text, TransportKind.Ipc, address, null, 0);
            case "inproc":
                return new Endpoint(text, TransportKind.Inproc, address, null, 0);
            case "pgm" or "epgm" or "norm" or "tipc" or "vmci" or "udp" or "ws" or "wss":
                throw new InvalidEndpointException(text, $"the '{scheme}' transport is not supported (tcp, ipc and inproc are)");
            default:
                throw new InvalidEndpointException(text, $"unknown transport '{scheme}' (tcp, ipc and inproc are supported)");
        }
    }

    private static Endpoint ParseTcp(string text, string address, bool forBind)
    {
        // A connect endpoint may name a source address first: tcp://source;host:port. Not supported.
        if (address.Contains(';'))
        {
            throw new InvalidEndpointException(text, "source addresses (src;dest) are not supported");
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            throw new InvalidEndpointException(text, "a tcp address needs a host and a port, for example tcp://127.0.0.1:5555");
        }

        var host = address[..colon];
        var portText = address[(colon + 1)..];
        int port;
        if (portText == "*")
        {
            if (!forBind)
            {
                throw new InvalidEndpointException(text, "a wildcard port can only be bound");
            }

            port = 0;
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            throw new InvalidEndpointException(text, $"'{portText}' is not a port number (0-65535)");
        }
        else if (port == 0 && !forBind)
        {
            throw new InvalidEndpointException(text, "cannot connect to port 0");
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host == "*" && !forBind)
        {
            throw new InvalidEndpointException(text, "cannot connect to a wildcard host");
        }

        if (host.Length == 0)
        {
            throw new InvalidEndpointException(text, "the host is empty");
        }

        return new Endpoint(text, TransportKind.Tcp, address, host, port);
    }

    /// <summary>Resolves the tcp host to addresses, IPv4 first unless IPv6 is enabled.</summary>
    public async Task<IPAddress[]> ResolveAsync(bool ipv6, CancellationToken cancellationToken)
    {
        if (Host == "*")
        {
            return [ipv6 ? IPAddress.IPv6Any : IPAddress.Any];
        }

        if (IPAddress.TryParse(Host, out var literal))
        {
            return [literal];
        }

        IPAddress[] all;
        try
        {
            all = await Dns.GetHostAddressesAsync(Host!, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new InvalidEndpointException(Text, $"cannot resolve host '{Host}': {e.SocketErrorCode}", e);
        }

        var chosen = new List<IPAddress>();
        foreach (var address in all)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                chosen.Add(address);
            }
        }

        if (ipv6 || chosen.Count == 0)
        {
            foreach (var address in all)
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    chosen.Add(address);
                }
            }
        }

        if (chosen.Count == 0)
        {
            throw new InvalidEndpointException(Text, $"host '{Host}' has no usable address");
        }

        return [.. chosen];
    }

    /// <summary>
    /// The address of the peer at the other end of a connected stream: <c>tcp://127.0.0.1:54321</c>, or
    /// for ipc <paramref name="ipcEndpoint"/>, the path connected or bound: an accepted ipc peer has no
    /// name of its own, and the kernel names a listener by the temporary file it bound before the rename
    /// (IpcPath), not by its path. Null when the stream is already gone.
    /// </summary>
    public static string? FormatPeer(System.Net.Sockets.Socket socket, string ipcEndpoint)
    {
        try
        {
            return socket.RemoteEndPoint switch
            {
                IPEndPoint ip => FormatTcp(ip),
                UnixDomainSocketEndPoint => ipcEndpoint,
                _ => null,
            };
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Formats a bound tcp endpoint as libzmq's last endpoint does.</summary>
    public static string FormatTcp(IPEndPoint endPoint) => endPoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"tcp://[{endPoint.Address}]:{endPoint.Port}"
        : $"tcp://{endPoint.Address}:{endPoint.Port}";
}
