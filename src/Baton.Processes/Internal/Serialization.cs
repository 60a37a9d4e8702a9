using MessagePack;
using MessagePack.Resolvers;

namespace Baton.Processes.Internal;

/// <summary>
/// The one place Baton.Processes chooses how values travel between processes: MessagePack-CSharp with
/// types' own formatters first ([MessagePackFormatter], which Queue, SharedArray and friends use), then the
/// standard resolvers ([MessagePackObject] types, collections, primitives), then contractless for the
/// user's plain classes and records. Never the Typeless resolver: bytes from another process are untrusted
/// input, and a type name read from the wire must not choose what gets instantiated.
/// </summary>
internal static class Serialization
{
    /// <summary>The resolver chain.</summary>
    public static readonly IFormatterResolver Resolver = CompositeResolver.Create(
        AttributeFormatterResolver.Instance,
        StandardResolver.Instance,
        ContractlessStandardResolver.Instance);

    /// <summary>Options for every value Baton.Processes sends: untrusted-data limits (depth, hash collisions).</summary>
    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(Resolver)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>A readable name for a type in error messages (generic arguments spelled out).</summary>
    public static string TypeName(Type type)
    {
        if (!type.IsGenericType)
            return type.FullName ?? type.Name;
        var name = type.GetGenericTypeDefinition().FullName ?? type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
            name = name[..tick];
        var arguments = type.GetGenericArguments();
        var parts = new string[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
            parts[i] = TypeName(arguments[i]);
        return $"{name}<{string.Join(", ", parts)}>";
    }
}
