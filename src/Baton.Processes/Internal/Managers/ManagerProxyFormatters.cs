using MessagePack;
using MessagePack.Formatters;

namespace Baton.Processes.Internal.Managers;

/// <summary>
/// A proxy travels as its manager's endpoints and the object's name, so it can be an argument of a child
/// process or a pool task, as in Python; the receiving process connects to the manager (one connection per
/// manager per process) and opens the object by name.
/// </summary>
internal static class ManagerProxyFormatters
{
    public static void Write(ref MessagePackWriter writer, Manager manager, string? name)
    {
        writer.WriteArrayHeader(name is null ? 1 : 2);
        writer.WriteArrayHeader(manager.Endpoints.Count);
        foreach (var endpoint in manager.Endpoints)
        {
            writer.Write(endpoint);
        }

        if (name is not null)
        {
            writer.Write(name);
        }
    }

    public static (Manager Manager, string? Name) Read(ref MessagePackReader reader)
    {
        var count = reader.ReadArrayHeader();
        var endpoints = new string[reader.ReadArrayHeader()];
        if (endpoints.Length == 0)
        {
            throw new MessagePackSerializationException("A manager proxy arrived without its manager's endpoints.");
        }

        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = reader.ReadString() ?? throw new MessagePackSerializationException("A manager proxy arrived with an empty endpoint.");
        }

        var name = count > 1 ? reader.ReadString() : null;
        return (Manager.ForEndpoint(Manager.Reachable(endpoints)), name);
    }

    private static string NameOf(string? name) => name ?? throw new MessagePackSerializationException("A manager proxy arrived without its object's name.");

    internal sealed class ForManager : IMessagePackFormatter<Baton.Processes.Manager?>
    {
        public void Serialize(ref MessagePackWriter writer, Baton.Processes.Manager? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            Write(ref writer, value, null);
        }

        public Baton.Processes.Manager? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            => reader.TryReadNil() ? null : Read(ref reader).Manager;
    }

    /// <summary>What every proxy's formatter does: nil or the manager and name; only how the object is opened differs.</summary>
    internal abstract class ForProxy<TProxy> : IMessagePackFormatter<TProxy?>
        where TProxy : ManagerProxy
    {
        public void Serialize(ref MessagePackWriter writer, TProxy? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            Write(ref writer, value.Manager, value.Name);
        }

        public TProxy? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            var (manager, name) = Read(ref reader);
            return Open(manager, NameOf(name));
        }

        /// <summary>The proxy of the object named <paramref name="name"/> on <paramref name="manager"/>.</summary>
        protected abstract TProxy Open(Baton.Processes.Manager manager, string name);
    }

    internal sealed class ForDictionary<TKey, TValue> : ForProxy<DictionaryProxy<TKey, TValue>>
        where TKey : notnull
    {
        protected override DictionaryProxy<TKey, TValue> Open(Baton.Processes.Manager manager, string name) => manager.Dictionary<TKey, TValue>(name);
    }

    internal sealed class ForList<T> : ForProxy<ListProxy<T>>
    {
        protected override ListProxy<T> Open(Baton.Processes.Manager manager, string name) => manager.List<T>(name);
    }

    internal sealed class ForNamespace : ForProxy<NamespaceProxy>
    {
        protected override NamespaceProxy Open(Baton.Processes.Manager manager, string name) => manager.Namespace(name);
    }

    internal sealed class ForQueue<T> : ForProxy<QueueProxy<T>>
    {
        protected override QueueProxy<T> Open(Baton.Processes.Manager manager, string name) => manager.Queue<T>(name);
    }
}
