using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>The security of a <see cref="LoadBalancingBroker"/>'s two bound sockets.</summary>
public sealed record LoadBalancingBrokerOptions
{
    /// <summary>The defaults: no security on either socket.</summary>
    public static LoadBalancingBrokerOptions Default { get; } = new();

    /// <summary>
    /// The security mechanism of the frontend, which the broker binds and clients connect to, e.g.
    /// <see cref="SocketSecurity.CurveServer(string)"/>. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity FrontendSecurity { get; init; } = SocketSecurity.Null;

    /// <summary>
    /// The security mechanism of the backend, which the broker binds and workers connect to, e.g.
    /// <see cref="SocketSecurity.CurveServer(string)"/>. Default <see cref="SocketSecurity.Null"/>.
    /// </summary>
    public SocketSecurity BackendSecurity { get; init; } = SocketSecurity.Null;
}
