using System.CommandLine;
using Baton.Security;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton keygen NAME [--dir DIR]</c>: a new CURVE key pair as DIR/NAME.key and DIR/NAME.key_secret,
/// in the layout of pyzmq's zmq.auth, the public key printed in Z85 on the last line.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME")
        {
            Description = "The key files' name: NAME.key (the public key, to hand out) and NAME.key_secret (both keys, readable by you only).",
        };
        var dir = new Option<string>("--dir", "-d")
        {
            Description = "The folder to write them in, created if missing [default: the current folder].",
            HelpName = "DIR",
            DefaultValueFactory = _ => ".",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace key files of that name (the old key stops working for whoever relied on it).",
        };
        var command = new Command("keygen", "Generate a CURVE key pair as NAME.key and NAME.key_secret (pyzmq's zmq.auth layout); print the public key in Z85 on the last line.")
        {
            name, dir, force,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(name) is { Tokens: [var token] } && (token.Value.Length == 0 || token.Value.IndexOfAny(['/', '\\']) >= 0 || token.Value is "." or ".."))
            {
                result.AddError($"NAME is a plain file name, without a folder (use --dir for that), not '{token.Value}'");
            }
        });
        command.SetAction((result, _) => SocketCommands.Guard(() => Task.FromResult(
            Run(result.GetValue(name)!, result.GetValue(dir)!, result.GetValue(force)))));
        return command.WithExamples(
            "baton keygen server --dir keys                          keys/server.key and keys/server.key_secret",
            "baton keygen alice --dir keys/clients                   a client whose key the server's --curve-allow folder lists",
            "baton recv -t pull -b tcp://*:5555 --curve-server keys/server.key_secret --curve-allow keys/clients");
    }

    private static int Run(string name, string directory, bool force)
    {
        var publicFile = Path.Combine(directory, name + CurveKeyFiles.PublicExtension);
        var secretFile = Path.Combine(directory, name + CurveKeyFiles.SecretExtension);
        if (!force)
        {
            foreach (var file in (string[])[publicFile, secretFile])
            {
                if (File.Exists(file))
                {
                    throw new CliFailure($"{file} already exists; not replacing it (give --force to, and the old key stops working)");
                }
            }
        }

        var keys = CurveKeyPair.Generate();
        try
        {
            CurveKeyFiles.Write(directory, name, keys);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliFailure($"cannot write the key files in '{directory}': {e.Message}");
        }

        Console.Out.WriteLine($"public key: {publicFile}");
        Console.Out.WriteLine($"secret key: {secretFile} (keep it to yourself)");
        Console.Out.WriteLine(keys.PublicKeyZ85);
        Console.Out.Flush();
        return 0;
    }
}
