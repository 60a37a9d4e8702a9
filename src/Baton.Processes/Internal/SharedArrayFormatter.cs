namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="SharedArray{T}"/> by name; the receiving process opens it.</summary>
internal sealed class SharedArrayFormatter<T> : ByNameFormatter<SharedArray<T>> where T : unmanaged
{
    /// <inheritdoc />
    protected override string NameOf(SharedArray<T> value) => value.Name;

    /// <inheritdoc />
    protected override SharedArray<T> Open(string name) => SharedArray<T>.Open(name);
}
