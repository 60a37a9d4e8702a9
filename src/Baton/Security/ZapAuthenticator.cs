using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Baton.Internal;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Security;

/// <summary>
/// A ZAP authenticator (RFC 27): the handler that PLAIN and CURVE servers, and NULL servers with a
/// <see cref="SocketOptions.ZapDomain"/>, of one <see cref="Context"/> ask whether a peer may connect. It
/// binds a ROUTER at inproc://zeromq.zap.01 in that context and answers on a task of its own until disposed.
/// The rules are those of pyzmq's <c>zmq.auth.Authenticator</c>:
/// <list type="bullet">
/// <item>An allow list (<see cref="Allow"/>) lets only its addresses go on; a deny list (<see cref="Deny"/>)
/// stops its addresses; use one or the other.</item>
/// <item>NULL: a peer passes unless its address is refused.</item>
/// <item>PLAIN: the user name and password must be among the domain's (<see cref="ConfigurePlain"/>), even from an allowed address.</item>
/// <item>CURVE: the client's public key must be among the domain's (<see cref="ConfigureCurve(string, string)"/>), unless
/// <see cref="AllowAnyCurveKey"/>. A key the authenticator does not know is refused (CURVE servers without an authenticator let any client in).</item>
/// </list>
/// Configuration for domain "*" applies to every domain that has none of its own (a socket's domain is empty
/// unless set). A peer let in carries a User-Id on its messages: the user name for PLAIN, the Z85 public key for
/// CURVE, "anonymous" otherwise (<see cref="Message.UserId"/>). Every refusal is logged with its reason. The
/// configuration may change at any time, from any thread; a change applies to the handshakes that follow.
/// </summary>
/// <example>
/// <code>
/// await using var auth = ZapAuthenticator.Start(context);
/// auth.ConfigurePlain("*", new Dictionary&lt;string, string&gt; { ["admin"] = "secret" });
/// await using var server = new RouterSocket(new SocketOptions { Security = SocketSecurity.PlainServer() }, context);
/// </code>
/// </example>
public sealed partial class ZapAuthenticator : IAsyncDisposable, IDisposable
{
    /// <summary>The endpoint a ZAP handler binds in its context (RFC 27).</summary>
    public const string Endpoint = "inproc://zeromq.zap.01";

    /// <summary>Configuration for this domain applies to every domain without its own.</summary>
    public const string AnyDomain = "*";

    private static ReadOnlySpan<byte> Version => "1.0"u8;

    private readonly RouterSocket _router;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task _loop = Task.CompletedTask;
    private volatile Policy _policy = Policy.Empty;
    private int _disposed;

    private ZapAuthenticator(RouterSocket router, ILogger logger)
    {
        _router = router;
        _logger = logger;
    }

    /// <summary>
    /// Binds an authenticator at inproc://zeromq.zap.01 in <paramref name="context"/> (<see cref="Context.Default"/>
    /// when null) and starts answering. Until configured it lets NULL peers in and refuses PLAIN and CURVE ones.
    /// </summary>
    /// <param name="context">The context whose server sockets it serves.</param>
    /// <param name="logger">Where refusals go; null: the context's logger factory, category "Baton.Security.ZapAuthenticator".</param>
    /// <exception cref="EndpointInUseException">Another ZAP handler is bound in that context.</exception>
    public static ZapAuthenticator Start(Context? context = null, ILogger? logger = null)
    {
        context ??= Context.Default;
        logger ??= context.LoggerFactory.CreateLogger("Baton.Security.ZapAuthenticator");

        // No limits: a handshake waits on every request, and the handler must never drop one.
        var router = new RouterSocket(new SocketOptions { SendHighWatermark = 0, ReceiveHighWatermark = 0, Linger = TimeSpan.Zero }, context);
        try
        {
            router.Bind(Endpoint);
        }
        catch
        {
            router.Dispose();
            throw;
        }

        var authenticator = new ZapAuthenticator(router, logger);
        authenticator._loop = Task.Run(authenticator.RunAsync);
        LogStarted(logger);
        return authenticator;
    }

    /// <summary>
    /// Lets peers from these IP addresses (as text, e.g. "127.0.0.1") go on with authentication, and no others.
    /// May be called again to add more.
    /// </summary>
    /// <exception cref="InvalidOperationException">A deny list is set: use one list or the other.</exception>
    public void Allow(params string[] addresses) => AddAddresses(addresses, deny: false);

    /// <summary>Refuses peers from these IP addresses; others go on with authentication. May be called again to add more.</summary>
    /// <exception cref="InvalidOperationException">An allow list is set: use one list or the other.</exception>
    public void Deny(params string[] addresses) => AddAddresses(addresses, deny: true);

    /// <summary>
    /// Sets the PLAIN users of <paramref name="domain"/> ("*" for every domain without its own): user name to
    /// password. Replaces that domain's earlier list.
    /// </summary>
    public void ConfigurePlain(string domain, IReadOnlyDictionary<string, string> passwords)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(passwords);
        var copy = passwords.ToFrozenDictionary(StringComparer.Ordinal);
        Change(policy => policy with { Passwords = With(policy.Passwords, domain, copy) });
        LogConfigured(_logger, $"PLAIN domain '{domain}': {copy.Count} user(s)");
    }

    /// <summary>
    /// Sets the CURVE clients of <paramref name="domain"/> ("*" for every domain without its own) to the
    /// public keys in <paramref name="directory"/>'s NAME.key files (pyzmq's zmq.auth layout). Read now: call
    /// again after adding or removing files. Replaces that domain's earlier keys and <see cref="AllowAnyCurveKey"/>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">A NAME.key file in it is malformed.</exception>
    public void ConfigureCurve(string domain, string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        SetCurveKeys(domain, CurveKeyFiles.ReadPublicKeys(directory), $"from {directory}");
    }

    /// <summary>
    /// Sets the CURVE clients of <paramref name="domain"/> ("*" for every domain without its own) to these
    /// 32-byte public keys. Replaces that domain's earlier keys and <see cref="AllowAnyCurveKey"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A key is not 32 bytes.</exception>
    public void ConfigureCurve(string domain, IEnumerable<byte[]> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        SetCurveKeys(domain, publicKeys, "given");
    }

    /// <summary>
    /// Lets any CURVE client of <paramref name="domain"/> ("*" for every domain without its own) in, whatever
    /// its key (pyzmq's CURVE_ALLOW_ANY): CURVE then encrypts without telling clients apart, except by their
    /// User-Id. Replaced by a later <see cref="ConfigureCurve(string, IEnumerable{byte[]})"/> of the domain.
    /// </summary>
    public void AllowAnyCurveKey(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        Change(policy => policy with { CurveKeys = With(policy.CurveKeys, domain, null) });
        LogConfigured(_logger, $"CURVE domain '{domain}': any key");
    }

    /// <summary>Stops answering and unbinds; handshakes still waiting for an answer are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _router.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        LogStopped(_logger);
    }

    /// <summary>Stops answering; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // pyzmq's rule: one list or the other, since an allow list already refuses every address it does not name.
    private void AddAddresses(string[] addresses, bool deny)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        Change(policy =>
        {
            if ((deny ? policy.Allowed : policy.Denied).Count > 0)
            {
                throw new InvalidOperationException($"A ZAP authenticator takes an allow list or a deny list, not both: {(deny ? "an allow" : "a deny")} list is already set.");
            }

            return deny
                ? policy with { Denied = Union(policy.Denied, addresses) }
                : policy with { Allowed = Union(policy.Allowed, addresses) };
        });
        LogConfigured(_logger, $"{(deny ? "deny" : "allow")} {string.Join(", ", addresses)}");
    }

    private void SetCurveKeys(string domain, IEnumerable<byte[]> publicKeys, string origin)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in publicKeys)
        {
            if (key is not { Length: Sodium.KeyBytes })
            {
                throw new ArgumentException($"A CURVE public key is {Sodium.KeyBytes} bytes; got {key?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}.", nameof(publicKeys));
            }

            keys.Add(Z85Codec.Encode(key));
        }

        var frozen = keys.ToFrozenSet(StringComparer.Ordinal);
        Change(policy => policy with { CurveKeys = With(policy.CurveKeys, domain, frozen) });
        LogConfigured(_logger, $"CURVE domain '{domain}': {frozen.Count} key(s) {origin}");
    }

    private void Change(Func<Policy, Policy> change)
    {
        lock (_lock)
        {
            _policy = change(_policy);
        }
    }

    private static FrozenSet<string> Union(FrozenSet<string> set, string[] more)
    {
        foreach (var address in more)
        {
            ArgumentNullException.ThrowIfNull(address, nameof(more));
        }

        return set.Concat(more).ToFrozenSet(StringComparer.Ordinal);
    }

    private static FrozenDictionary<string, T> With<T>(FrozenDictionary<string, T> map, string domain, T value)
    {
        var copy = new Dictionary<string, T>(map, StringComparer.Ordinal) { [domain] = value };
        return copy.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                using var request = await _router.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                var reply = Answer(request);
                if (reply is { } message)
                {
                    await _router.SendAsync(message, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            LogFailed(_logger, e);
        }
    }

    /// <summary>The reply to one request as the ROUTER got it (envelope, empty delimiter, RFC 27 frames); null when none can be sent.</summary>
    private Message? Answer(Message request)
    {
        // The envelope runs to the first empty frame (one routing id for a DEALER or REQ client).
        var delimiter = -1;
        for (var i = 0; i < request.Count; i++)
        {
            if (request.GetSpan(i).IsEmpty)
            {
                delimiter = i;
                break;
            }
        }

        if (delimiter < 1)
        {
            LogMalformedRequest(_logger, "no envelope and empty delimiter");
            return null;
        }

        var body = delimiter + 1;
        var reply = new Message();
        for (var i = 0; i <= delimiter; i++)
        {
            reply.Append(request[i].ToArray());
        }

        var frames = request.Count - body;
        if (frames < 6)
        {
            LogMalformedRequest(_logger, $"{frames} frame(s) instead of at least 6");
            if (frames < 2)
            {
                reply.Dispose();
                return null;
            }

            return Finish(reply, request[body + 1].ToArray(), "400", "Not enough frames", "");
        }

        var requestId = request[body + 1].ToArray();
        if (!request.GetSpan(body).SequenceEqual(Version))
        {
            LogMalformedRequest(_logger, $"version '{request[body]}' instead of 1.0");
            return Finish(reply, requestId, "400", "Invalid version", "");
        }

        var domain = request[body + 2].ToString();
        var address = request[body + 3].ToString();
        var mechanism = request[body + 5].ToString();
        var credentials = new byte[frames - 6][];
        for (var i = 0; i < credentials.Length; i++)
        {
            credentials[i] = request[body + 6 + i].ToArray();
        }

        var decision = Decide(_policy, domain, address, mechanism, credentials);
        if (decision.Allowed)
        {
            LogAllowed(_logger, mechanism, address, domain, decision.UserId);
            return Finish(reply, requestId, "200", "OK", decision.UserId);
        }

        LogRefused(_logger, mechanism, address, domain, decision.UserId, decision.Reason);
        return Finish(reply, requestId, "400", decision.Reason, "");
    }

    private static Message Finish(Message reply, byte[] requestId, string status, string text, string userId)
        => reply.Append(Version.ToArray()).Append(requestId).Append(status).Append(text).Append(userId).AppendEmpty();

    /// <summary>pyzmq's handle_zap_message as a function: the verdict on one request under <paramref name="policy"/>.</summary>
    internal static Decision Decide(Policy policy, string domain, string address, string mechanism, byte[][] credentials)
    {
        var allowed = false;
        if (policy.Allowed.Count > 0)
        {
            if (!policy.Allowed.Contains(address))
            {
                return Decision.Refuse($"Address {address} not in the allow list");
            }

            allowed = true;
        }
        else if (policy.Denied.Contains(address))
        {
            return Decision.Refuse($"Address {address} is in the deny list");
        }

        switch (mechanism)
        {
            case "NULL":
                return Decision.Allow("anonymous");
            case "PLAIN":
                if (credentials.Length != 2)
                {
                    return Decision.Refuse("Invalid credentials");
                }

                var user = Encoding.UTF8.GetString(credentials[0]);
                if (!TryForDomain(policy.Passwords, domain, out var passwords))
                {
                    return Decision.Refuse(policy.Passwords.Count == 0 ? "No passwords defined" : $"No passwords for domain '{domain}'", user);
                }

                // The same work whether the user exists or not, and a comparison of fixed-length digests in fixed
                // time, so the answer's timing tells neither which users exist, nor the password's length, nor
                // how much of a guess was right (FixedTimeEquals returns early on a length mismatch).
                var known = passwords.TryGetValue(user, out var password);
                var same = SamePassword(password ?? "", credentials[1]);
                if (!known)
                {
                    return Decision.Refuse("Invalid username", user);
                }

                return same ? Decision.Allow(user) : Decision.Refuse("Invalid password", user);
            case "CURVE":
                if (credentials.Length != 1 || credentials[0].Length != Sodium.KeyBytes)
                {
                    return Decision.Refuse("Invalid credentials");
                }

                var key = Z85Codec.Encode(credentials[0]);
                if (!TryForDomain(policy.CurveKeys, domain, out var keys))
                {
                    return Decision.Refuse($"No CURVE keys for domain '{domain}'", key);
                }

                return keys is null || keys.Contains(key) ? Decision.Allow(key) : Decision.Refuse("Unknown key", key);
            default:
                // GSSAPI and others: nothing here can check them. An allowed address alone is no authentication.
                return allowed ? Decision.Allow("anonymous") : Decision.Refuse($"Unsupported mechanism '{mechanism}'");
        }
    }

    private static bool SamePassword(string expected, ReadOnlySpan<byte> given)
    {
        Span<byte> expectedDigest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> givenDigest = stackalloc byte[SHA256.HashSizeInBytes];
        var expectedBytes = Encoding.UTF8.GetBytes(expected);
        SHA256.HashData(expectedBytes, expectedDigest);
        SHA256.HashData(given, givenDigest);
        CryptographicOperations.ZeroMemory(expectedBytes);
        return CryptographicOperations.FixedTimeEquals(expectedDigest, givenDigest);
    }

    private static bool TryForDomain<T>(FrozenDictionary<string, T> map, string domain, out T value)
        => map.TryGetValue(domain, out value!) || map.TryGetValue(AnyDomain, out value!);

    [LoggerMessage(EventId = 8100, Level = LogLevel.Warning, Message = "ZAP refused a {Mechanism} peer at '{Address}' (domain '{Domain}', user '{UserId}'): {Reason}")]
    private static partial void LogRefused(ILogger logger, string mechanism, string address, string domain, string userId, string reason);

    [LoggerMessage(EventId = 8101, Level = LogLevel.Debug, Message = "ZAP let a {Mechanism} peer at '{Address}' in (domain '{Domain}', user '{UserId}')")]
    private static partial void LogAllowed(ILogger logger, string mechanism, string address, string domain, string userId);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Warning, Message = "ZAP refused a malformed request: {Reason}")]
    private static partial void LogMalformedRequest(ILogger logger, string reason);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Debug, Message = "ZAP authenticator started at inproc://zeromq.zap.01")]
    private static partial void LogStarted(ILogger logger);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Debug, Message = "ZAP authenticator stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Information, Message = "ZAP authenticator configured: {Change}")]
    private static partial void LogConfigured(ILogger logger, string change);

    [LoggerMessage(EventId = 8106, Level = LogLevel.Error, Message = "ZAP authenticator stopped answering after an unexpected error; handshakes that need it will be refused")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    /// <summary>What the authenticator knows; replaced whole on every change, so a request reads one consistent version.</summary>
    internal sealed record Policy(
        FrozenSet<string> Allowed,
        FrozenSet<string> Denied,
        FrozenDictionary<string, FrozenDictionary<string, string>> Passwords,
        FrozenDictionary<string, FrozenSet<string>?> CurveKeys)
    {
        public static Policy Empty { get; } = new(FrozenSet<string>.Empty, FrozenSet<string>.Empty,
            FrozenDictionary<string, FrozenDictionary<string, string>>.Empty, FrozenDictionary<string, FrozenSet<string>?>.Empty);
    }

    /// <summary>A verdict: allowed with a User-Id, or refused with a reason (and the user or key, for the log).</summary>
    internal readonly record struct Decision(bool Allowed, string UserId, string Reason)
    {
        public static Decision Allow(string userId) => new(true, userId, "OK");

        public static Decision Refuse(string reason, string user = "") => new(false, user, reason);
    }
}
