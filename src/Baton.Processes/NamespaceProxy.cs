using Baton.Messages;
using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A namespace held by a <see cref="Manager"/> (Python's <c>manager.Namespace()</c>): named attributes of any
/// serializable type, e.g. <c>ns.Set("progress", 0.5)</c> in one process and <c>ns.Get&lt;double&gt;("progress")</c>
/// in another.
/// </summary>
[MessagePack.MessagePackFormatter(typeof(ManagerProxyFormatters.ForNamespace))]
public sealed class NamespaceProxy : ManagerProxy
{
    internal NamespaceProxy(Manager manager, ManagerChannel channel, string name)
        : base(manager, channel, name)
    {
    }

    /// <summary>Gets an attribute.</summary>
    /// <exception cref="KeyNotFoundException">The attribute is not set.</exception>
    public T Get<T>(string attribute) => Wait(GetAsync<T>(attribute));

    /// <summary>Gets an attribute.</summary>
    /// <exception cref="KeyNotFoundException">The attribute is not set.</exception>
    public async ValueTask<T> GetAsync<T>(string attribute, CancellationToken cancellationToken = default)
    {
        var (status, payload) = await SendAsync(ManagerOp.NamespaceGet, [Attribute(attribute)], cancellationToken).ConfigureAwait(false);
        return status switch
        {
            ManagerStatus.Ok => ValueCodec.Decode<T>(payload[0]),
            ManagerStatus.NotFound => throw new KeyNotFoundException($"The namespace '{Name}' has no attribute '{attribute}'."),
            _ => throw Failure(status, payload),
        };
    }

    /// <summary>Gets an attribute if it is set.</summary>
    public bool TryGet<T>(string attribute, out T value)
    {
        var (status, payload) = Wait(SendAsync(ManagerOp.NamespaceGet, [Attribute(attribute)], default));
        if (status == ManagerStatus.NotFound)
        {
            value = default!;
            return false;
        }

        value = status == ManagerStatus.Ok ? ValueCodec.Decode<T>(payload[0]) : throw Failure(status, payload);
        return true;
    }

    /// <summary>Sets an attribute.</summary>
    public void Set<T>(string attribute, T value) => Wait(SetAsync(attribute, value));

    /// <summary>Sets an attribute.</summary>
    public async ValueTask SetAsync<T>(string attribute, T value, CancellationToken cancellationToken = default)
        => await CallAsync(ManagerOp.NamespaceSet, [Attribute(attribute), ValueCodec.Encode(value)], cancellationToken).ConfigureAwait(false);

    /// <summary>Removes an attribute; returns false when it was not set.</summary>
    public bool Remove(string attribute) => Wait(SendAsync(ManagerOp.NamespaceRemove, [Attribute(attribute)], default)).Status == ManagerStatus.Ok;

    /// <summary>The names of the attributes set.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            var payload = Wait(CallAsync(ManagerOp.NamespaceNames, [], default));
            var names = new string[payload.Length];
            for (var i = 0; i < payload.Length; i++)
            {
                names[i] = payload[i].ToString();
            }

            return names;
        }
    }

    private static Frame Attribute(string attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(attribute);
        return Frame.FromString(attribute);
    }
}
