using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal;

/// <summary>
/// A handle that travels to another process as its shared memory's name; the receiver opens its own
/// handle. Subclasses say how to name and open theirs.
/// </summary>
internal abstract class ByNameFormatter<THandle> : IMessagePackFormatter<THandle?> where THandle : class
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, THandle? value, MessagePackSerializerOptions options)
    {
        if (value is null)
            writer.WriteNil();
        else
            writer.Write(NameOf(value));
    }

    /// <inheritdoc />
    public THandle? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
            return null;
        string name = reader.ReadString() ?? throw new MessagePackSerializationException($"A {typeof(THandle).Name.Split('`')[0]} was sent without its name.");
        return Open(name);
    }

    /// <summary>The name the receiver opens.</summary>
    protected abstract string NameOf(THandle value);

    /// <summary>Opens the handle named <paramref name="name"/>.</summary>
    protected abstract THandle Open(string name);
}
