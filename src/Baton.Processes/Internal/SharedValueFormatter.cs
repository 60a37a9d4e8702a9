namespace Baton.Processes.Internal;

/// <summary>Sends a <see cref="SharedValue{T}"/> by name; the receiving process opens it.</summary>
internal sealed class SharedValueFormatter<T> : ByNameFormatter<SharedValue<T>> where T : unmanaged
{
    /// <inheritdoc />
    protected override string NameOf(SharedValue<T> value) => value.Name;

    /// <inheritdoc />
    protected override SharedValue<T> Open(string name) => SharedValue<T>.Open(name);
}
