using Baton.Security;
using Baton.Sockets;

namespace Baton.Processes.Internal;

/// <summary>The pool's ZAP authenticator: lets in only the workers whose CURVE keys the options list.</summary>
internal static class WorkerAuthenticator
{
    /// <summary>
    /// Starts an authenticator in <paramref name="context"/> (the pool's own) admitting the public keys in
    /// <see cref="ProcessPoolOptions.CurveAllowDirectory"/> (read now) and <see cref="ProcessPoolOptions.CurveAllowKeys"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A key of CurveAllowKeys is not 40 Z85 characters.</exception>
    /// <exception cref="DirectoryNotFoundException">CurveAllowDirectory does not exist.</exception>
    /// <exception cref="InvalidDataException">A key file in it is malformed.</exception>
    public static ZapAuthenticator Start(Context context, ProcessPoolOptions options)
    {
        var keys = new List<byte[]>();
        if (options.CurveAllowDirectory is { } directory)
            keys.AddRange(CurveKeyFiles.ReadPublicKeys(directory));
        foreach (var key in options.CurveAllowKeys)
        {
            try
            {
                keys.Add(CurveKeyPair.FromPublicKey(key).PublicKey);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new ArgumentException($"CurveAllowKeys: '{key}' is not a CURVE public key in Z85 ({e.Message}).", nameof(options), e);
            }
        }

        var authenticator = ZapAuthenticator.Start(context);
        authenticator.ConfigureCurve(ZapAuthenticator.AnyDomain, keys);
        return authenticator;
    }
}
