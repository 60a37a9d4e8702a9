using Baton.Engine;

namespace Baton.Sockets;

/// <summary>
/// The inproc endpoints of one context. Binding and connecting may happen in either order: a connect
/// before the bind gets a pending pipe (messages queue up to its HWM) that the bind joins.
/// </summary>
internal sealed class InprocRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ZmqSocket> _bound = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(ZmqSocket Socket, InprocPipe Pipe)>> _waiting = new(StringComparer.Ordinal);

    public void Bind(string name, ZmqSocket socket, string endpoint)
    {
        List<(ZmqSocket Socket, InprocPipe Pipe)>? waiting;
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
            foreach (var (connecter, pending) in waiting)
            {
                if (SocketTypes.AreCompatible(connecter.Type, socket.Type))
                {
                    Link(pending, connecter, socket);
                }
                else
                {
                    connecter.LogRefusedInproc(endpoint, socket.Type);
                    pending.Terminate();
                }
            }
        }
    }

    public void Connect(string name, ZmqSocket socket, string endpoint)
    {
        ZmqSocket? binder;
        InprocPipe pending;
        lock (_lock)
        {
            if (!_bound.TryGetValue(name, out binder))
            {
                if (!_waiting.TryGetValue(name, out var list))
                {
                    _waiting[name] = list = [];
                }

                pending = InprocPipe.CreatePending(socket, endpoint);
                list.Add((socket, pending));
                socket.AttachPipe(pending);
                return;
            }
        }

        if (!SocketTypes.AreCompatible(socket.Type, binder.Type))
        {
            throw new IncompatibleSocketTypeException(SocketTypes.WireName(socket.Type), SocketTypes.WireName(binder.Type));
        }

        Link(InprocPipe.CreatePending(socket, endpoint), socket, binder);
    }

    public void Unbind(string name, ZmqSocket socket)
    {
        bool removed;
        lock (_lock)
        {
            removed = _bound.TryGetValue(name, out var bound) && bound == socket;
            if (removed)
            {
                _bound.Remove(name);
            }
        }

        if (removed)
        {
            Unbound?.Invoke(name, socket);
        }
    }

    /// <summary>Raised (outside the registry's lock) after <c>socket</c> gave up the name: the ZAP client learns that its handler went away.</summary>
    public event Action<string, ZmqSocket>? Unbound;

    /// <summary>The socket bound at <paramref name="name"/> now, if any.</summary>
    public bool TryGetBound(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ZmqSocket? socket)
    {
        lock (_lock)
        {
            return _bound.TryGetValue(name, out socket);
        }
    }

    public void CancelConnect(string name, ZmqSocket socket)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(name, out var list))
            {
                list.RemoveAll(pending => pending.Socket == socket);
                if (list.Count == 0)
                {
                    _waiting.Remove(name);
                }
            }
        }
    }

    private static void Link(InprocPipe a, ZmqSocket connecter, ZmqSocket binder)
    {
        var b = a.CreatePeer(binder);
        if (!binder.OnPipeConnected(b, out _))
        {
            a.Terminate();
            return;
        }

        a.Link();
        if (!connecter.OnPipeConnected(a, out _))
        {
            a.Terminate();
        }
    }
}
