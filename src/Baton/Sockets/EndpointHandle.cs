namespace Baton.Sockets;

/// <summary>
/// One endpoint a socket bound or connected: a tcp or ipc listener, a tcp or ipc connector, an inproc
/// bind or an inproc connect. It knows the endpoint as requested and as resolved, and how to close.
/// </summary>
internal abstract class EndpointHandle(string requested, string resolved)
{
    /// <summary>The endpoint as the user gave it.</summary>
    public string RequestedEndpoint { get; } = requested;

    /// <summary>The endpoint with the port or path resolved (what Bind returns).</summary>
    public string ResolvedEndpoint { get; } = resolved;

    /// <summary>True for a bind (Unbind finds it), false for a connect (Disconnect finds it).</summary>
    public abstract bool IsBind { get; }

    /// <summary>True if <paramref name="endpoint"/> names this endpoint, as requested or as resolved.</summary>
    public bool Matches(string endpoint) => endpoint == RequestedEndpoint || endpoint == ResolvedEndpoint;

    /// <summary>Takes no new peers from now on; the peers already here stay (closing lingers on them).</summary>
    public abstract void Stop();

    /// <summary>Stops, then drops this endpoint's peers and waits for them to end.</summary>
    public abstract Task CloseAsync();
}
