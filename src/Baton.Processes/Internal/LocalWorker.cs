namespace Baton.Processes.Internal;

/// <summary>Starts a worker process on this machine: a child running <see cref="RunAsync"/>.</summary>
internal static class LocalWorker
{
    public static ChildProcess Start(string endpoint, string identity, byte[]? initializer, ProcessPoolOptions options)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // A worker of this pool is never also a remote worker of another.
            [ProcessPoolWorker.ConnectVariable] = null,
        };
        foreach (var (name, value) in options.WorkerEnvironment)
            environment[name] = value;
        var childOptions = new ChildProcessOptions { Name = "pool-worker " + identity, Daemon = true, Environment = environment };
        return ChildProcess.Start<string, string, byte[]?, CancellationToken, int>(RunAsync, endpoint, identity, initializer, default, childOptions);
    }

    /// <summary>The child's method: serve the pool until it says STOP or the parent asks the child to stop.</summary>
    internal static Task<int> RunAsync(string endpoint, string identity, byte[]? initializer, CancellationToken stop)
        => WorkerLoop.RunAsync(new WorkerLoop.Settings(endpoint, identity, identity, initializer, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), stop);
}
