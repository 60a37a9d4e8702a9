namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="ProcessRLock"/> by name; the receiving process opens it.</summary>
internal sealed class ProcessRLockFormatter : ByNameFormatter<ProcessRLock>
{
    /// <inheritdoc />
    protected override string NameOf(ProcessRLock value) => value.Name;

    /// <inheritdoc />
    protected override ProcessRLock Open(string name) => ProcessRLock.Open(name);
}
