using Baton.Sockets;

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

    /// <summary>
    /// This worker's CURVE secret key (32 bytes), with <see cref="CurveServerKey"/>: the workers connect as CURVE
    /// clients to a pool whose <see cref="ProcessPoolOptions.Security"/> is a CURVE server. The traffic is
    /// encrypted, the worker talks only to the holder of the pool's secret key, and the pool may then ship the
    /// assemblies a task needs when this machine lacks them. Default none.
    /// </summary>
    public byte[]? CurveSecretKey { get; init; }

    /// <summary>The pool's CURVE public key (32 bytes), with <see cref="CurveSecretKey"/>. Default none.</summary>
    public byte[]? CurveServerKey { get; init; }

    /// <summary>A PLAIN user name, with <see cref="PlainPassword"/>, for a pool whose security is a PLAIN server (in the clear: CURVE is the one to use across networks). Default none.</summary>
    public string? PlainUserName { get; init; }

    /// <summary>The PLAIN password going with <see cref="PlainUserName"/>. Default none.</summary>
    public string? PlainPassword { get; init; }

    /// <summary>The socket security these options give, checking they go together.</summary>
    /// <exception cref="ArgumentException">Half of a pair is set, a key is not 32 bytes, or both CURVE and PLAIN are set.</exception>
    internal SocketSecurity ToSecurity()
    {
        var curve = CurveSecretKey is not null || CurveServerKey is not null;
        var plain = PlainUserName is not null || PlainPassword is not null;
        if (curve && plain)
            throw new ArgumentException("Set either the CURVE keys or the PLAIN credentials of a worker, not both.");
        if (curve)
        {
            if (CurveSecretKey is not { Length: 32 } secret || CurveServerKey is not { Length: 32 } server)
                throw new ArgumentException("A CURVE worker needs both CurveSecretKey (its own, 32 bytes) and CurveServerKey (the pool's public key, 32 bytes).");
            return SocketSecurity.CurveClient(secret, server);
        }

        if (plain)
        {
            if (PlainUserName is null || PlainPassword is null)
                throw new ArgumentException("A PLAIN worker needs both PlainUserName and PlainPassword.");
            return SocketSecurity.PlainClient(PlainUserName, PlainPassword);
        }

        return SocketSecurity.Null;
    }
}
