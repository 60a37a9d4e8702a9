namespace Baton.Processes;

/// <summary>How a <see cref="Manager"/> is started or reached.</summary>
public sealed record ManagerOptions
{
    /// <summary>
    /// Extra endpoint the manager started by <see cref="Manager.StartAsync"/> binds for proxies on other
    /// machines, e.g. <c>tcp://0.0.0.0:5000</c>. Null (the default) serves this machine only, over ipc.
    /// </summary>
    public string? Listen { get; init; }

    /// <summary>How long a request waits for an unreachable manager before it fails with
    /// <see cref="ManagerUnavailableException"/>. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
