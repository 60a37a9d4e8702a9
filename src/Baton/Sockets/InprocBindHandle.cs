namespace Baton.Sockets;

/// <summary>A name a socket bound in its context's inproc registry.</summary>
internal sealed class InprocBindHandle(ZmqSocket owner, string name, string endpoint) : EndpointHandle(endpoint, endpoint)
{
    /// <inheritdoc />
    public override bool IsBind => true;

    /// <summary>Frees the name; peers already linked stay.</summary>
    public override void Stop() => owner.Context.Inproc.Unbind(name, owner);

    /// <inheritdoc />
    public override Task CloseAsync()
    {
        Stop();
        owner.TerminateInprocPipes(ResolvedEndpoint);
        return Task.CompletedTask;
    }
}
