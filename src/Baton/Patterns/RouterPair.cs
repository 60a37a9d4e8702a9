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
}
