using Baton.Sockets;

namespace Baton.Patterns;

/// <summary>The frontend/backend ROUTER pair of a broker or queue: both bound, or neither left open.</summary>
internal static class RouterPair
{
    /// <summary>
    /// Creates and binds the frontend (clients) and backend (workers) ROUTERs. The backend is mandatory: a send to
    /// a worker that is gone fails instead of vanishing, so its request can go to another. If a bind fails both
    /// sockets are disposed and the exception propagates.
    /// </summary>
    public static void Bind(
        string frontendEndpoint,
        string backendEndpoint,
        SocketSecurity frontendSecurity,
        SocketSecurity backendSecurity,
        Context context,
        out RouterSocket frontend,
        out RouterSocket backend,
        out string boundFrontend,
        out string boundBackend)
    {
        frontend = new RouterSocket(new SocketOptions { Security = frontendSecurity }, context);
        backend = new RouterSocket(new SocketOptions { RouterMandatory = true, Security = backendSecurity }, context);
        try
        {
            boundFrontend = frontend.Bind(frontendEndpoint);
            boundBackend = backend.Bind(backendEndpoint);
        }
        catch
        {
            frontend.Dispose();
            backend.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds <paramref name="frontend"/> to <paramref name="poller"/> when <paramref name="workerReady"/> turns true and
    /// removes it when it turns false, so requests wait in the frontend's queue while no worker can take one.
    /// <paramref name="polling"/> tracks whether it is in the poller now.
    /// </summary>
    public static void PollFrontendWhile(bool workerReady, Poller poller, RouterSocket frontend, ref bool polling)
    {
        if (polling == workerReady)
        {
            return;
        }

        polling = workerReady;
        if (workerReady)
        {
            poller.Add(frontend);
        }
        else
        {
            poller.Remove(frontend);
        }
    }
}
