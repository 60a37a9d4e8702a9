using Baton.Sockets;

namespace Baton.Processes.Internal;

/// <summary>The pool's ZAP authenticator: lets in only the workers whose CURVE keys the options list.</summary>
internal static class WorkerAuthenticator
{
    /// <summary>Starts an authenticator in <paramref name="context"/> admitting the keys of <see cref="ProcessPoolOptions.CurveAllowDirectory"/> and <see cref="ProcessPoolOptions.CurveAllowKeys"/>.</summary>
    public static IDisposable Start(Context context, ProcessPoolOptions options)
    {
        // TODO(ship): Baton.Security.ZapAuthenticator once on main.
        _ = context;
        _ = options;
        throw new NotSupportedException("No ZAP authenticator yet.");
    }
}
