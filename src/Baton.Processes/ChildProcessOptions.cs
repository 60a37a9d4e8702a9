namespace Baton.Processes;

/// <summary>How a <see cref="ChildProcess"/> starts. Every property is optional.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>The process's name, for messages and diagnostics; "ChildProcess-N" when null (as Python's "Process-N").</summary>
    public string? Name { get; init; }

    /// <summary>
    /// A daemon child is killed when its parent exits normally; a non-daemon child is waited for (up to
    /// <see cref="ChildProcess.ExitJoinTimeout"/>) before the parent exits, as in Python. Either way a child
    /// dies with a parent that crashes. Default false.
    /// </summary>
    public bool Daemon { get; init; }

    /// <summary>Environment variables to add (or, with a null value, remove) in the child.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>The child's working directory; the parent's when null.</summary>
    public string? WorkingDirectory { get; init; }
}
