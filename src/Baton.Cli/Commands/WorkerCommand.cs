using System.CommandLine;
using Baton.Processes;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton worker --connect tcp://HOST:PORT</c>: serve a ProcessPool from this machine. Worker processes
/// (restarted when they crash) take tasks whose code they have: the app's assemblies given with --load, or
/// what a CURVE pool ships to a worker started with --curve-client and --curve-serverkey.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var connect = new Option<string>("--connect", "-c")
        {
            Description = "The pool's tcp endpoint (ProcessPoolOptions.Listen on the pool's side).",
            HelpName = "ENDPOINT",
            Required = true,
        };
        var workers = new Option<int>("--workers", "-w")
        {
            Description = "Worker processes, each running one task at a time [default: one per processor].",
            HelpName = "N",
            DefaultValueFactory = _ => Environment.ProcessorCount,
            CustomParser = ParseWorkers,
        };
        var load = new Option<string[]>("--load", "-l")
        {
            Description = "An assembly of the app whose tasks to run (repeatable); its folder is searched for its dependencies. Tasks from an assembly the worker cannot load are refused with an error back to the pool, unless a CURVE pool ships it (--curve-client).",
            HelpName = "PATH",
        };
        var command = new Command("worker", "Serve a Baton ProcessPool over tcp: run its tasks in worker processes on this machine.")
        {
            connect, workers, load,
        };

        // A worker only connects: it is a client of the pool's security. The server flags are accepted (hidden)
        // so that giving one gets an error that says what to give instead, not "unrecognized argument".
        var security = new SecurityFlags(SecurityScope.ConnectsOnly, clientSockets: " to its pool",
            serverFlagHint: "; who may join is set on the pool (ProcessPoolOptions.Security, CurveAllowDirectory)");
        security.CurveClient.Description = "Connect to the pool with CURVE with this secret-key file (NAME.key_secret, from 'baton keygen'); needs --curve-serverkey. The pool may then ship the code a task needs when this machine lacks it.";
        security.CurveServerKey.Description = "With --curve-client: the pool's public key, as 40 Z85 characters or its key file (NAME.key). Only that pool is served.";
        security.Plain.Description = "Connect to a PLAIN pool with these credentials (sent in the clear: trusted networks only; no code is shipped).";
        security.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(connect) is { } endpoint && !endpoint.StartsWith("tcp://", StringComparison.Ordinal))
                result.AddError($"--connect takes a tcp endpoint (tcp://HOST:PORT), not '{endpoint}'");
            foreach (var path in result.GetValue(load) ?? [])
            {
                if (!File.Exists(path))
                    result.AddError($"--load: no such file '{path}'");
            }
        });
        command.SetAction((result, cancellationToken) => SocketCommands.Guard(async () =>
        {
            var flags = security.Resolve(result); // the keys, read once
            var mechanism = flags.Client;
            var options = new ProcessPoolWorkerOptions
            {
                Workers = result.GetValue(workers),
                LoadAssemblies = result.GetValue(load) ?? [],
                CurveSecretKey = flags.CurveClientKeys?.SecretKey,
                CurveServerKey = flags.CurveClientKeys?.ServerKey,
                PlainUserName = flags.PlainClient?.User,
                PlainPassword = flags.PlainClient?.Password,
            };
            var endpoint = result.GetValue(connect)!;
            await Console.Error.WriteLineAsync($"baton: worker: {options.Workers} worker process(es) serving {endpoint} ({mechanism}); Ctrl+C stops");
            return await ProcessPoolWorker.RunAsync(endpoint, options, cancellationToken);
        }));
        return command.WithExamples(
            "baton worker -c tcp://10.0.0.5:5555 --load ./MyApp.dll           one worker per processor, running MyApp's tasks",
            "baton worker -c tcp://pool.lan:5555 -w 4 -l app/MyApp.dll          four workers",
            "baton worker -c tcp://pool.lan:5555 --curve-client keys/w1.key_secret --curve-serverkey keys/pool.key   CURVE; the pool ships the code",
            "DOTNET_STARTUP_HOOKS=Baton.Processes BATON_WORKER_CONNECT=tcp://10.0.0.5:5555 ./MyApp   the app itself as a worker");
    }

    private static int ParseWorkers(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count >= 1)
            return count;
        result.AddError($"--workers takes a whole number of at least 1, not '{text}'");
        return 0;
    }
}
