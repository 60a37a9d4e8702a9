using Baton.Engine;
using Baton.Sockets;

namespace Baton.Transports;

/// <summary>
/// The inproc endpoints of one context. Binding and connecting may happen in either order: a connect
/// before the bind waits here and is joined when the bind comes.
/// </summary>
internal sealed class InprocRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ZmqSocket> _bound = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ZmqSocket>> _waiting = new(StringComparer.Ordinal);

    public void Bind(string name, ZmqSocket socket, string endpoint)
    {
        List<ZmqSocket>? waiting;
        lock (_lock)
        {
            if (_bound.ContainsKey(name))
            {
                throw new EndpointInUseException(endpoint);
            }

            _bound[name] = socket;
            _waiting.Remove(name, out waiting);
        }

        if (waiting is not null)
        {
            foreach (var connecter in waiting)
            {
                if (SocketTypes.AreCompatible(connecter.Type, socket.Type))
                {
                    Link(connecter, socket, endpoint);
                }
                else
                {
                    connecter.LogRefusedInproc(endpoint, socket.Type);
                }
            }
        }
    }

    public void Connect(string name, ZmqSocket socket, string endpoint)
    {
        ZmqSocket? binder;
        lock (_lock)
        {
            if (!_bound.TryGetValue(name, out binder))
            {
                if (!_waiting.TryGetValue(name, out var list))
                {
                    _waiting[name] = list = [];
                }

                list.Add(socket);
                return;
            }
        }

        if (!SocketTypes.AreCompatible(socket.Type, binder.Type))
        {
            throw new IncompatibleSocketTypeException(SocketTypes.WireName(socket.Type), SocketTypes.WireName(binder.Type));
        }

        Link(socket, binder, endpoint);
    }

    public void Unbind(string name, ZmqSocket socket)
    {
        lock (_lock)
        {
            if (_bound.TryGetValue(name, out var bound) && bound == socket)
            {
                _bound.Remove(name);
            }
        }
    }

    public void CancelConnect(string name, ZmqSocket socket)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(name, out var list))
            {
                list.Remove(socket);
                if (list.Count == 0)
                {
                    _waiting.Remove(name);
                }
            }
        }
    }

    private static void Link(ZmqSocket connecter, ZmqSocket binder, string endpoint)
    {
        var (a, b) = InprocPipe.CreatePair(connecter, binder, endpoint);
        if (!binder.OnPipeConnected(b, out _))
        {
            b.Terminate();
            return;
        }

        if (!connecter.OnPipeConnected(a, out _))
        {
            a.Terminate();
        }
    }
}
