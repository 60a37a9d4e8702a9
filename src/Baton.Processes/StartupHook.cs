using Baton.Processes.Internal;

// No namespace, and the one exception to file-scoped namespaces in Baton: the runtime finds a startup hook
// by the exact type name "StartupHook" in the hook assembly (DOTNET_STARTUP_HOOKS), so it cannot live in one.

/// <summary>
/// Runs before the app's Main in a process Baton started: when one of the variables below is set, this
/// process was re-executed to do that job, so the hook does it and exits; Main never runs. Otherwise it
/// returns at once. A role is an entry in <see cref="Roles"/>: its variable and a method that takes the
/// variable's value and never returns (it ends with Environment.Exit).
/// </summary>
internal static class StartupHook
{
    /// <summary>The roles a re-executed process can take, by the environment variable that asks for each.</summary>
    private static readonly (string Variable, Action<string> Run)[] Roles =
    [
        (ProcessLauncher.ChildVariable, ChildRuntime.Run),
        (Baton.Processes.ProcessPoolWorker.ConnectVariable, Baton.Processes.ProcessPoolWorker.RunFromEnvironment),
    ];

    /// <summary>Called by the runtime before Main.</summary>
    public static void Initialize()
    {
        foreach (var (variable, run) in Roles)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                Environment.SetEnvironmentVariable(variable, null); // grandchildren must not take the role
                ProcessLauncher.PrepareChild();
                run(value); // does not return
            }
        }
    }
}
