using Baton.Engine;
using Baton.Wire.Mechanisms;

namespace Baton.Sockets;

/// <summary>The ZAP client side (RFC 27): what a server handshake asks the authenticator bound in the socket's context.</summary>
public abstract partial class ZmqSocket
{
    /// <inheritdoc />
    ValueTask<ZapReply?> IPipeOwner.AuthenticateAsync(ZapRequest request, string address, CancellationToken cancellationToken)
        => Context.Zap.AuthenticateAsync(request, Options.ZapDomain, address, Options.Identity, cancellationToken);
}
