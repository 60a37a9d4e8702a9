using Baton.Security;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// The security a command's security flags asked for (see <see cref="SecurityFlags"/>): the mechanism of
/// its serving sockets and of its client sockets, and who its ZAP authenticator lets in.
/// </summary>
internal sealed class CommandSecurity
{
    private readonly string? _allowFolder;
    private readonly int _allowedKeys;
    private readonly List<(string User, string Password)>? _passwords;

    public CommandSecurity(SocketSecurity server, SocketSecurity client, string? allowFolder, int allowedKeys, List<(string User, string Password)>? passwords)
    {
        Server = server;
        Client = client;
        _allowFolder = allowFolder;
        _allowedKeys = allowedKeys;
        _passwords = passwords;
    }

    /// <summary>The mechanism of sockets that serve (--curve-server, --plain-allow); NULL if none was asked for.</summary>
    public SocketSecurity Server { get; }

    /// <summary>The mechanism of sockets that are clients (--curve-client, --plain); NULL if none was asked for.</summary>
    public SocketSecurity Client { get; }

    /// <summary>With --curve-client: this side's secret key and the server's public key, as read once from the flags.</summary>
    public (byte[] SecretKey, byte[] ServerKey)? CurveClientKeys { get; init; }

    /// <summary>With --plain: the credentials, split once.</summary>
    public (string User, string Password)? PlainClient { get; init; }

    /// <summary>True when a ZAP authenticator must decide who gets in (--curve-allow, --plain-allow).</summary>
    public bool NeedsAuthenticator => _allowFolder is not null || _passwords is not null;

    /// <summary>The one socket's mechanism, for commands with one socket: the server's or the client's, whichever was given.</summary>
    public SocketSecurity Single => Server != SocketSecurity.Null ? Server : Client;

    /// <summary>The mechanism of a proxy's socket: server flags on those it binds, client flags on those it connects.</summary>
    public SocketSecurity For(bool binds) => binds ? Server : Client;

    /// <summary>
    /// Starts the ZAP authenticator of <paramref name="context"/> when the flags ask for one, before any socket
    /// of the command exists (a handshake that came first would find none); null when they do not.
    /// Writes a warning on stderr, unless <paramref name="quiet"/>, when it will refuse every CURVE client.
    /// Refusals are logged (warnings) through the context's logging, with their reason.
    /// </summary>
    public async Task<IAsyncDisposable?> StartAuthenticatorAsync(Context context, bool quiet, CancellationToken cancellationToken)
    {
        if (!NeedsAuthenticator)
        {
            return null;
        }

        if (_allowFolder is not null && _allowedKeys == 0 && !quiet)
        {
            await Console.Error.WriteLineAsync($"baton: warning: --curve-allow: no public-key files (*.key) in '{_allowFolder}': every client will be refused");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var authenticator = ZapAuthenticator.Start(context);
        try
        {
            if (_allowFolder is not null)
            {
                authenticator.ConfigureCurve(ZapAuthenticator.AnyDomain, _allowFolder);
            }

            if (_passwords is not null)
            {
                var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (user, password) in _passwords)
                {
                    passwords[user] = password;
                }

                authenticator.ConfigurePlain(ZapAuthenticator.AnyDomain, passwords);
            }

            return authenticator;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // The folder changed since the command line was checked.
            await authenticator.DisposeAsync();
            throw new CliFailure($"--curve-allow: {e.Message}", CliRunner.UsageErrorExitCode);
        }
    }
}
