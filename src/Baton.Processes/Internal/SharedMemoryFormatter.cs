namespace Baton.Processes.Internal;

/// <summary>
/// Sends a <see cref="SharedMemory"/> by name; the receiving process opens the block and owns it until it
/// disposes it.
/// </summary>
internal sealed class SharedMemoryFormatter : ByNameFormatter<SharedMemory>
{
    /// <inheritdoc />
    protected override string NameOf(SharedMemory value) => value.Name;

    /// <inheritdoc />
    protected override SharedMemory Open(string name) => SharedMemory.Open(name);
}
