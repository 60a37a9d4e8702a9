namespace Baton.Sockets;

/// <summary>A connect to an inproc name, linked or still waiting for the bind.</summary>
internal sealed class InprocConnectHandle(ZmqSocket owner, string name, string endpoint) : EndpointHandle(endpoint, endpoint)
{
    /// <inheritdoc />
    public override bool IsBind => false;

    /// <summary>Stops waiting for a bind; a link already made stays.</summary>
    public override void Stop() => owner.Context.Inproc.CancelConnect(name, owner);

    /// <inheritdoc />
    public override Task CloseAsync()
    {
        Stop();
        owner.TerminateInprocPipes(ResolvedEndpoint);
        return Task.CompletedTask;
    }
}
