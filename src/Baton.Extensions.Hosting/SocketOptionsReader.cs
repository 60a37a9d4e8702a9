using System.Globalization;
using System.Text;
using Baton.Security;
using Baton.Sockets;
using Microsoft.Extensions.Configuration;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Reads <see cref="SocketOptions"/> from a configuration section, one key per property. Every value is
/// parsed here and set through a <c>with</c> expression, so a refused value becomes a failure that names
/// its key instead of an exception from a property setter somewhere in a binder.
/// </summary>
internal static class SocketOptionsReader
{
    private static readonly Dictionary<string, Func<SocketOptions, string, SocketOptions>> s_keys = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(SocketOptions.SendHighWatermark)] = static (o, v) => o with { SendHighWatermark = Int32(v) },
        [nameof(SocketOptions.ReceiveHighWatermark)] = static (o, v) => o with { ReceiveHighWatermark = Int32(v) },
        [nameof(SocketOptions.Linger)] = static (o, v) => o with { Linger = Duration(v) },
        [nameof(SocketOptions.LingerStallTimeout)] = static (o, v) => o with { LingerStallTimeout = Duration(v) },
        [nameof(SocketOptions.ReconnectInterval)] = static (o, v) => o with { ReconnectInterval = Duration(v) },
        [nameof(SocketOptions.ReconnectIntervalMax)] = static (o, v) => o with { ReconnectIntervalMax = Duration(v) },
        [nameof(SocketOptions.HandshakeInterval)] = static (o, v) => o with { HandshakeInterval = Duration(v) },
        [nameof(SocketOptions.HeartbeatInterval)] = static (o, v) => o with { HeartbeatInterval = Duration(v) },
        [nameof(SocketOptions.HeartbeatTimeout)] = static (o, v) => o with { HeartbeatTimeout = Duration(v) },
        [nameof(SocketOptions.HeartbeatTtl)] = static (o, v) => o with { HeartbeatTtl = Duration(v) },
        [nameof(SocketOptions.Identity)] = static (o, v) => o with { Identity = Encoding.UTF8.GetBytes(v) },
        [nameof(SocketOptions.MaxMessageSize)] = static (o, v) => o with { MaxMessageSize = Int64(v) },
        [nameof(SocketOptions.MaxFramesPerMessage)] = static (o, v) => o with { MaxFramesPerMessage = Int32(v) },
        [nameof(SocketOptions.Immediate)] = static (o, v) => o with { Immediate = Boolean(v) },
        [nameof(SocketOptions.RouterMandatory)] = static (o, v) => o with { RouterMandatory = Boolean(v) },
        [nameof(SocketOptions.RouterHandover)] = static (o, v) => o with { RouterHandover = Boolean(v) },
        [nameof(SocketOptions.RequestRelaxed)] = static (o, v) => o with { RequestRelaxed = Boolean(v) },
        [nameof(SocketOptions.RequestCorrelate)] = static (o, v) => o with { RequestCorrelate = Boolean(v) },
        [nameof(SocketOptions.XPubVerbose)] = static (o, v) => o with { XPubVerbose = Boolean(v) },
        [nameof(SocketOptions.Conflate)] = static (o, v) => o with { Conflate = Boolean(v) },
        [nameof(SocketOptions.IPv6)] = static (o, v) => o with { IPv6 = Boolean(v) },
        [nameof(SocketOptions.TcpKeepAlive)] = static (o, v) => o with { TcpKeepAlive = Boolean(v) },
        [nameof(SocketOptions.ZapDomain)] = static (o, v) => o with { ZapDomain = v },
    };

    // The one option that is a section: Security:Mechanism and the keys or credentials it needs.
    private static readonly string[] s_securityKeys = ["Mechanism", "UserName", "Password", "SecretKey", "SecretKeyFile", "ServerKey", "ServerKeyFile"];

    /// <summary>The keys this reader knows: <see cref="SocketOptions"/>' public properties.</summary>
    public static IEnumerable<string> Keys => s_keys.Keys.Append(nameof(SocketOptions.Security));

    /// <summary>Applies the keys of <paramref name="configuration"/> to <paramref name="options"/>, adding a failure per bad key.</summary>
    public static SocketOptions Read(IConfiguration configuration, SocketOptions options, List<string> failures)
    {
        foreach (var child in configuration.GetChildren())
        {
            if (child.Key.Equals(nameof(SocketOptions.Security), StringComparison.OrdinalIgnoreCase))
            {
                options = ReadSecurity(child, options, failures);
                continue;
            }

            if (!s_keys.TryGetValue(child.Key, out var apply))
            {
                failures.Add($"{child.Path} is not a socket option; the keys are {string.Join(", ", Keys)}.");
                continue;
            }

            if (child.Value is null)
            {
                if (child.GetChildren().Any())
                {
                    failures.Add($"{child.Path} needs a single value, not a section.");
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(child.Value))
            {
                // An empty value (JSON null, an emptied environment variable) keeps the default.
                continue;
            }

            try
            {
                options = apply(options, child.Value.Trim());
            }
            catch (FormatException e)
            {
                failures.Add($"{child.Path}: '{child.Value}' {e.Message}");
            }
            catch (ArgumentException e)
            {
                failures.Add($"{child.Path}: '{child.Value}' is not allowed: {Problem(e)}");
            }
        }

        return options;
    }

    /// <summary>
    /// The Security section: Mechanism (Null, PlainClient, PlainServer, CurveClient, CurveServer) and what it
    /// needs: UserName and Password (PlainClient), SecretKey (CurveServer, CurveClient) and ServerKey
    /// (CurveClient), keys in Z85, or SecretKeyFile and ServerKeyFile, paths of key files in zmq.auth's layout.
    /// </summary>
    private static SocketOptions ReadSecurity(IConfigurationSection section, SocketOptions options, List<string> failures)
    {
        if (section.Value is not null)
        {
            if (!string.IsNullOrWhiteSpace(section.Value))
            {
                failures.Add($"{section.Path} is a section: set {section.Path}:Mechanism and the keys or credentials it needs.");
            }

            return options;
        }

        var problems = false;
        foreach (var child in section.GetChildren())
        {
            if (!s_securityKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{child.Path} is not a security setting; the keys are {string.Join(", ", s_securityKeys)}.");
                problems = true;
            }
        }

        var mechanism = section["Mechanism"]?.Trim();
        if (string.IsNullOrEmpty(mechanism) || problems)
        {
            if (!problems && section.GetChildren().Any())
            {
                failures.Add($"{section.Path}:Mechanism is missing: Null, PlainClient, PlainServer, CurveClient or CurveServer.");
            }

            return options;
        }

        // Keys and names are trimmed; a password is taken as written (its spaces are part of it).
        string Required(string key, bool trim = true) => section[key] is { Length: > 0 } value
            ? (trim ? value.Trim() : value)
            : throw new FormatException($"{section.Path}:{key} is required for {mechanism}.");

        // A key in Z85, or the key file that holds it; one of the two.
        string Key(string key, bool secret)
        {
            var file = section[key + "File"];
            if (string.IsNullOrWhiteSpace(file))
            {
                return Required(key);
            }

            if (!string.IsNullOrWhiteSpace(section[key]))
            {
                throw new FormatException($"{section.Path}: set {key} or {key}File, not both.");
            }

            try
            {
                var keys = CurveKeyFiles.Read(file.Trim());
                return secret
                    ? keys.SecretKeyZ85 ?? throw new FormatException($"{section.Path}:{key}File '{file}' holds no secret key (a NAME.key_secret file does).")
                    : keys.PublicKeyZ85;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new FormatException($"{section.Path}:{key}File: {e.Message}", e);
            }
        }

        try
        {
            var security = mechanism.ToUpperInvariant() switch
            {
                "NULL" => SocketSecurity.Null,
                "PLAINCLIENT" => SocketSecurity.PlainClient(Required("UserName"), Required("Password", trim: false)),
                "PLAINSERVER" => SocketSecurity.PlainServer(),
                "CURVESERVER" => SocketSecurity.CurveServer(Key("SecretKey", secret: true)),
                "CURVECLIENT" => SocketSecurity.CurveClient(Key("SecretKey", secret: true), Key("ServerKey", secret: false)),
                _ => throw new FormatException($"{section.Path}:Mechanism '{mechanism}' is not Null, PlainClient, PlainServer, CurveClient or CurveServer."),
            };
            return options with { Security = security };
        }
        catch (FormatException e)
        {
            failures.Add(e.Message);
        }
        catch (ArgumentException e)
        {
            // Never echo a key or password back into a log.
            failures.Add($"{section.Path}: {Problem(e)}");
        }

        return options;
    }

    /// <summary>An exception's message without the "(Parameter 'x')" and "Actual value was" lines the runtime appends.</summary>
    public static string Problem(Exception e)
    {
        var message = e.Message;
        var parameter = e is ArgumentException { ParamName: { } name } ? message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal) : -1;
        return parameter >= 0 ? message[..parameter] : message;
    }

    private static int Int32(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"is not a whole number from {int.MinValue} to {int.MaxValue}.");

    private static long Int64(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException("is not a whole number.");

    private static bool Boolean(string value) =>
        bool.TryParse(value, out var result) ? result : throw new FormatException("is not true or false.");

    private static TimeSpan Duration(string value)
    {
        if (value.Equals("Infinite", StringComparison.OrdinalIgnoreCase))
        {
            return Timeout.InfiniteTimeSpan;
        }

        // A bare number would parse as days ("5" is five days): ask for the clock form instead.
        if (!value.Contains(':', StringComparison.Ordinal) || !TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result))
        {
            throw new FormatException("is not a duration: write [d.]hh:mm:ss[.fff] (00:00:05 is five seconds) or Infinite.");
        }

        return result;
    }
}
