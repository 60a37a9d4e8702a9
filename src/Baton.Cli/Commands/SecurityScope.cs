namespace Baton.Cli.Commands;

/// <summary>Where a command applies the security flags.</summary>
internal enum SecurityScope
{
    /// <summary>One socket (send, recv, broker, worker): it is a server or a client, never both.</summary>
    OneSocket,

    /// <summary>Several sockets (proxy): server flags on those it binds, client flags on those it connects.</summary>
    BoundServesConnectedIsClient,

    /// <summary>Every socket connects (mdp-request, titanic): the client flags apply; the server flags are hidden and refused.</summary>
    ConnectsOnly,
}
