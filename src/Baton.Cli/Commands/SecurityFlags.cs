using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using Baton.Security;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// The security flags of the commands that open sockets (the CLI contract of issue 11):
/// <c>--curve-server SECRETKEYFILE [--curve-allow DIR]</c>, <c>--curve-client SECRETKEYFILE --curve-serverkey KEY</c>,
/// <c>--plain USER:PASS</c> and <c>--plain-allow USER:PASS</c> (repeatable). One instance per command: add it with
/// <see cref="AddTo"/>, then turn the parse into a <see cref="CommandSecurity"/> with <see cref="Resolve"/>.
/// Every problem with them (a missing or malformed key file, a bad key, flags that do not go together) is a
/// usage error found at parse time.
/// </summary>
internal sealed class SecurityFlags
{
    private readonly SecurityScope _scope;
    private readonly string _clientSockets;
    private readonly string _serverFlagHint;

    /// <param name="scope">Where the flags apply.</param>
    /// <param name="serverSockets">For the help text: which sockets the server flags apply to, e.g. " on the frontend it binds"; null for the scope's.</param>
    /// <param name="clientSockets">For the help text: which sockets the client flags apply to; null for the scope's.</param>
    /// <param name="serverFlagHint">For <see cref="SecurityScope.ConnectsOnly"/>: what to add to the error a server flag gets, e.g. where who-may-join is set instead.</param>
    public SecurityFlags(SecurityScope scope = SecurityScope.OneSocket, string? serverSockets = null, string? clientSockets = null, string serverFlagHint = "")
    {
        _scope = scope;
        _serverFlagHint = serverFlagHint;
        var proxy = scope == SecurityScope.BoundServesConnectedIsClient;
        serverSockets ??= proxy ? " on the sockets it binds (TYPE@ENDPOINT)" : "";
        clientSockets ??= proxy ? " on the sockets it connects (TYPE>ENDPOINT)" : "";
        _clientSockets = clientSockets;
        CurveServer = new("--curve-server")
        {
            Description = $"Serve CURVE{serverSockets} with this secret-key file (NAME.key_secret, from 'baton keygen'). Without --curve-allow, any client that knows the public key gets in.",
            HelpName = "SECRETKEYFILE",
        };
        CurveAllow = new("--curve-allow")
        {
            Description = "With --curve-server: let in only the clients whose public-key file (NAME.key) is in this folder; others are refused and logged.",
            HelpName = "DIR",
        };
        CurveClient = new("--curve-client")
        {
            Description = $"Connect with CURVE{clientSockets} with this secret-key file (NAME.key_secret); needs --curve-serverkey.",
            HelpName = "SECRETKEYFILE",
        };
        CurveServerKey = new("--curve-serverkey")
        {
            Description = "With --curve-client: the server's public key, as 40 Z85 characters or a key file (NAME.key).",
            HelpName = "KEY",
        };
        Plain = new("--plain")
        {
            Description = $"Be a PLAIN client{clientSockets} with these credentials (sent in the clear: trusted networks only).",
            HelpName = "USER:PASS",
        };
        PlainAllow = new("--plain-allow")
        {
            Description = $"Serve PLAIN{serverSockets}, letting in these credentials only (repeatable).",
            HelpName = "USER:PASS",
            AllowMultipleArgumentsPerToken = false,
        };
    }

    public Option<string> CurveServer { get; }

    public Option<string> CurveAllow { get; }

    public Option<string> CurveClient { get; }

    public Option<string> CurveServerKey { get; }

    public Option<string> Plain { get; }

    public Option<string[]> PlainAllow { get; }

    /// <summary>Adds the options and the check that they go together to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        // A command whose sockets all connect serves nothing: its server flags are hidden from the help, and
        // accepted only to be refused with an error that says what to give instead.
        var hidden = _scope == SecurityScope.ConnectsOnly;
        CurveServer.Hidden = hidden;
        CurveAllow.Hidden = hidden;
        PlainAllow.Hidden = hidden;
        command.Options.Add(CurveServer);
        command.Options.Add(CurveAllow);
        command.Options.Add(CurveClient);
        command.Options.Add(CurveServerKey);
        command.Options.Add(Plain);
        command.Options.Add(PlainAllow);

        command.Validators.Add(result =>
        {
            foreach (var problem in Check(result))
            {
                result.AddError(problem);
            }
        });
    }

    /// <summary>The security the flags ask for, keys loaded. Call once the command line validated.</summary>
    /// <exception cref="CliFailure">A key file changed since the check (exit code 2).</exception>
    public CommandSecurity Resolve(ParseResult result)
    {
        var problems = new List<string>();
        var security = Load(result.CommandResult, problems);
        if (problems.Count > 0)
        {
            throw new CliFailure(problems[0], CliRunner.UsageErrorExitCode);
        }

        return security;
    }

    /// <summary>
    /// Checks that the flags a proxy gives apply to some socket: server flags need a bound one, client flags a
    /// connected one. For <see cref="SecurityScope.BoundServesConnectedIsClient"/> commands' own validators.
    /// </summary>
    public IEnumerable<string> CheckSockets(CommandResult result, bool anyBound, bool anyConnected)
    {
        if (!anyBound && GivenName(result, CurveServer, CurveAllow, PlainAllow) is { } server)
        {
            yield return $"{server} applies to the sockets the proxy binds (TYPE@ENDPOINT), and it binds none";
        }

        if (!anyConnected && GivenName(result, CurveClient, CurveServerKey, Plain) is { } client)
        {
            yield return $"{client} applies to the sockets the proxy connects (TYPE>ENDPOINT), and it connects none";
        }
    }

    private List<string> Check(CommandResult result)
    {
        var problems = new List<string>();
        var curveServer = Given(result, CurveServer);
        var curveClient = Given(result, CurveClient);
        var plainClient = Given(result, Plain);
        var plainServer = result.GetResult(PlainAllow) is { Tokens.Count: > 0 };
        if (_scope == SecurityScope.ConnectsOnly && GivenName(result, CurveServer, CurveAllow, PlainAllow) is { } serverFlag)
        {
            problems.Add($"{serverFlag}: {result.Command.Name} only connects{_clientSockets} and serves nothing; give --curve-client SECRETKEYFILE --curve-serverkey KEY (or --plain USER:PASS){_serverFlagHint}");
            return problems;
        }

        if (curveServer && plainServer)
        {
            problems.Add("give --curve-server or --plain-allow, not both: a socket serves one mechanism");
        }

        if (curveClient && plainClient)
        {
            problems.Add("give --curve-client or --plain, not both: a socket uses one mechanism");
        }

        if (_scope == SecurityScope.OneSocket && (curveServer || plainServer) && (curveClient || plainClient))
        {
            problems.Add($"give {(curveServer ? "--curve-server" : "--plain-allow")} or {(curveClient ? "--curve-client" : "--plain")}, not both: the socket is the server or the client of its mechanism");
        }

        if (Given(result, CurveAllow) && !curveServer)
        {
            problems.Add("--curve-allow goes with --curve-server: it lists the clients a CURVE server lets in");
        }

        if (curveClient && !Given(result, CurveServerKey))
        {
            problems.Add("--curve-client needs --curve-serverkey: the server's public key (Z85) or its NAME.key file");
        }
        else if (!curveClient && Given(result, CurveServerKey))
        {
            problems.Add("--curve-serverkey goes with --curve-client (the secret-key file of this side)");
        }

        if (problems.Count == 0)
        {
            Load(result, problems);
        }

        return problems;
    }

    /// <summary>Reads the keys and credentials; what is wrong goes to <paramref name="problems"/>.</summary>
    private CommandSecurity Load(CommandResult result, List<string> problems)
    {
        var server = SocketSecurity.Null;
        var client = SocketSecurity.Null;
        string? allowFolder = null;
        var allowKeys = 0;
        List<(string User, string Password)>? passwords = null;
        (byte[], byte[])? curveClientKeys = null;
        (string, string)? plainClient = null;

        if (Value(result, CurveServer) is { } serverFile && SecretKey(serverFile, "--curve-server", problems) is { } serverKeys)
        {
            server = SocketSecurity.CurveServer(serverKeys.SecretKey!);
            if (Value(result, CurveAllow) is { } folder)
            {
                try
                {
                    allowKeys = CurveKeyFiles.ReadPublicKeys(folder).Count;
                    allowFolder = folder;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    problems.Add(e is DirectoryNotFoundException ? $"--curve-allow: no folder '{folder}'" : $"--curve-allow: {e.Message}");
                }
            }
        }

        if (result.GetResult(PlainAllow) is { Tokens.Count: > 0 } allowed)
        {
            passwords = [];
            foreach (var token in allowed.Tokens)
            {
                if (Credentials(token.Value, "--plain-allow", problems) is { } credentials)
                {
                    if (passwords.Exists(known => known.User == credentials.User))
                    {
                        problems.Add($"--plain-allow: user '{credentials.User}' given twice; one password per user");
                    }

                    passwords.Add(credentials);
                }
            }

            server = SocketSecurity.PlainServer();
        }

        if (Value(result, CurveClient) is { } clientFile && SecretKey(clientFile, "--curve-client", problems) is { } clientKeys
            && Value(result, CurveServerKey) is { } serverKey && PublicKey(serverKey, problems) is { } serverPublic)
        {
            client = SocketSecurity.CurveClient(clientKeys.SecretKey!, serverPublic);
            curveClientKeys = (clientKeys.SecretKey!, serverPublic);
        }

        if (Value(result, Plain) is { } plain && Credentials(plain, "--plain", problems) is { } mine)
        {
            client = SocketSecurity.PlainClient(mine.User, mine.Password);
            plainClient = mine;
        }

        return new CommandSecurity(server, client, allowFolder, allowKeys, passwords) { CurveClientKeys = curveClientKeys, PlainClient = plainClient };
    }

    private static CurveKeyPair? SecretKey(string path, string flag, List<string> problems)
    {
        try
        {
            var keys = CurveKeyFiles.Read(path);
            if (!keys.HasSecretKey)
            {
                var hint = path.EndsWith(CurveKeyFiles.PublicExtension, StringComparison.Ordinal) ? $" (try {path}_secret)" : "";
                problems.Add($"{flag}: {path} holds a public key only; give the secret-key file (NAME.key_secret){hint}");
                return null;
            }

            return keys;
        }
        catch (FileNotFoundException)
        {
            problems.Add($"{flag}: no key file '{path}' (make one with 'baton keygen NAME')");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // InvalidDataException: its message names the file and the line.
            problems.Add($"{flag}: {e.Message}");
        }

        return null;
    }

    /// <summary>A key file if there is one by that name, else 40 Z85 characters.</summary>
    private static byte[]? PublicKey(string key, List<string> problems)
    {
        if (File.Exists(key))
        {
            try
            {
                return CurveKeyFiles.ReadPublicKey(key);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                problems.Add($"--curve-serverkey: {e.Message}");
                return null;
            }
        }

        if (key.Length == 40)
        {
            try
            {
                return CurveKeyPair.FromPublicKey(key).PublicKey;
            }
            catch (FormatException e)
            {
                problems.Add($"--curve-serverkey: {e.Message}");
                return null;
            }
        }

        problems.Add($"--curve-serverkey: '{key}' is neither a public key (40 Z85 characters) nor a key file");
        return null;
    }

    private static (string User, string Password)? Credentials(string text, string flag, List<string> problems)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            problems.Add($"{flag} takes USER:PASS (a user name, a colon, then the password){(colon == 0 ? "; the user name is empty" : "")}");
            return null;
        }

        var (user, password) = (text[..colon], text[(colon + 1)..]);
        if (Encoding.UTF8.GetByteCount(user) > 255 || Encoding.UTF8.GetByteCount(password) > 255)
        {
            problems.Add($"{flag}: PLAIN carries at most 255 bytes of user name and of password");
            return null;
        }

        return (user, password);
    }

    private static bool Given(CommandResult result, Option option) => result.GetResult(option) is not null;

    private static string? Value(CommandResult result, Option<string> option)
        => result.GetResult(option) is { Tokens: [.., var token] } ? token.Value : null;

    private static string? GivenName(CommandResult result, params Option[] options)
    {
        foreach (var option in options)
        {
            if (Given(result, option))
            {
                return option.Name;
            }
        }

        return null;
    }
}
