namespace Baton.Processes;

/// <summary>How <see cref="ProcessPoolWorker.RunAsync"/> serves a remote pool.</summary>
public sealed record ProcessPoolWorkerOptions
{
    private readonly int _workers = Environment.ProcessorCount;

    /// <summary>Worker processes to run (each takes one task at a time); a crashed one is restarted. Default <see cref="Environment.ProcessorCount"/>.</summary>
    public int Workers
    {
        get => _workers;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _workers = value;
        }
    }

    /// <summary>
    /// Assemblies (paths to .dll files of the app the pool runs, deployed on this machine) the workers load
    /// before taking tasks; their folders are searched for their dependencies. A task whose assembly is
    /// neither loaded nor loadable is refused with a clear error back to the pool. Default none.
    /// </summary>
    public IReadOnlyList<string> LoadAssemblies { get; init; } = [];
}
