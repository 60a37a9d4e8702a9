namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="ProcessLock"/> by name; the receiving process opens it.</summary>
internal sealed class ProcessLockFormatter : ByNameFormatter<ProcessLock>
{
    /// <inheritdoc />
    protected override string NameOf(ProcessLock value) => value.Name;

    /// <inheritdoc />
    protected override ProcessLock Open(string name) => ProcessLock.Open(name);
}
