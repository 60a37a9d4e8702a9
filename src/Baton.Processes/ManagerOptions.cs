using Baton.Sockets;

namespace Baton.Processes;

/// <summary>How a <see cref="Manager"/> is started or reached.</summary>
public sealed record ManagerOptions
{
    /// <summary>
    /// Extra endpoint the manager started by <see cref="Manager.StartAsync"/> binds for proxies on other
    /// machines, e.g. <c>tcp://0.0.0.0:5000</c>. Null (the default) serves this machine only, over ipc.
    /// </summary>
    public string? Listen { get; init; }

    /// <summary>How long a request waits for an unreachable manager before it fails with
    /// <see cref="ManagerUnavailableException"/>. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// For <see cref="Manager.Connect"/>: the client side of the manager's security, e.g.
    /// <see cref="SocketSecurity.CurveClient(string, string)"/> with this side's secret key and the manager's
    /// public key, for a <see cref="ManagerServer"/> serving CURVE. A client refused by the server's mechanism
    /// or authenticator gets no answer: its requests fail with <see cref="ManagerUnavailableException"/> after
    /// <see cref="ConnectTimeout"/>. Not for <see cref="Manager.StartAsync"/> (its child serves over a private
    /// ipc folder, and its <see cref="Listen"/> is unauthenticated): to serve over CURVE, run a
    /// <see cref="ManagerServer"/> with a security of its own. Default none.
    /// </summary>
    public SocketSecurity? Security { get; init; }
}
