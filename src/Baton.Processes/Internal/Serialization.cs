using System.Collections.Concurrent;
using System.Reflection;
using MessagePack;
using MessagePack.Formatters;
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
    public static readonly IFormatterResolver Resolver = ChainResolver.Instance;

    /// <summary>Options for every value Baton.Processes sends: untrusted-data limits (depth, hash collisions).</summary>
    /// <remarks>Not MessagePackSerializerOptions.Standard: it wakes StandardResolver, whose dynamic resolvers cost a fresh child tens of milliseconds before its first call.</remarks>
    public static MessagePackSerializerOptions Options => Lazy.Options;

    private static readonly ConcurrentDictionary<Type, BoxedFormatter> Boxed = new();

    /// <summary>Built on first use, so that a call with primitive arguments and result never pays for it.</summary>
    private static class Lazy
    {
        public static readonly MessagePackSerializerOptions Options = new MessagePackSerializerOptions(Resolver)
            .WithSecurity(MessagePackSecurity.UntrustedData);
    }

    /// <summary>Writes <paramref name="value"/> as a <paramref name="type"/>.</summary>
    public static void Serialize(Type type, ref MessagePackWriter writer, object? value)
    {
        if (!TryWritePrimitive(type, ref writer, value))
            BoxedFor(type).Write(ref writer, value);
    }

    /// <summary>Reads a <paramref name="type"/>, boxed.</summary>
    public static object? Deserialize(Type type, ref MessagePackReader reader) =>
        TryReadPrimitive(type, ref reader, out var value) ? value : BoxedFor(type).Read(ref reader);

    // The common argument and result types, written exactly as MessagePack's builtin formatters write them,
    // without waking the resolvers: a fresh child's first call is then mostly the runtime's own start-up.
    private static bool TryWritePrimitive(Type type, ref MessagePackWriter writer, object? value)
    {
        if (type == typeof(int))
            writer.Write((int)value!);
        else if (type == typeof(long))
            writer.Write((long)value!);
        else if (type == typeof(string))
            writer.Write((string?)value);
        else if (type == typeof(double))
            writer.Write((double)value!);
        else if (type == typeof(bool))
            writer.Write((bool)value!);
        else if (type == typeof(float))
            writer.Write((float)value!);
        else if (type == typeof(uint))
            writer.Write((uint)value!);
        else if (type == typeof(ulong))
            writer.Write((ulong)value!);
        else
            return false;
        return true;
    }

    private static bool TryReadPrimitive(Type type, ref MessagePackReader reader, out object? value)
    {
        if (type == typeof(int))
            value = reader.ReadInt32();
        else if (type == typeof(long))
            value = reader.ReadInt64();
        else if (type == typeof(string))
            value = reader.ReadString();
        else if (type == typeof(double))
            value = reader.ReadDouble();
        else if (type == typeof(bool))
            value = reader.ReadBoolean();
        else if (type == typeof(float))
            value = reader.ReadSingle();
        else if (type == typeof(uint))
            value = reader.ReadUInt32();
        else if (type == typeof(ulong))
            value = reader.ReadUInt64();
        else
        {
            value = null;
            return false;
        }

        return true;
    }

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

    // MessagePackSerializer's non-generic API compiles LINQ expressions per type, which costs tens of
    // milliseconds in a fresh child; a closed generic method turned into a delegate costs almost nothing.
    private static BoxedFormatter BoxedFor(Type type) => Boxed.TryGetValue(type, out var known) ? known : Boxed.GetOrAdd(type, Create(type));

    /// <summary>Throws (FormatterNotRegisteredException, or the resolver's own exception) when no formatter serves <paramref name="type"/>.</summary>
    public static void EnsureFormatter(Type type) => BoxedFor(type);

    private static BoxedFormatter Create(Type type)
    {
        try
        {
            return (BoxedFormatter)Activator.CreateInstance(typeof(BoxedFormatter<>).MakeGenericType(type))!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private abstract class BoxedFormatter
    {
        public abstract void Write(ref MessagePackWriter writer, object? value);

        public abstract object? Read(ref MessagePackReader reader);
    }

    private sealed class BoxedFormatter<T> : BoxedFormatter
    {
        private readonly IMessagePackFormatter<T> formatter = Resolver.GetFormatterWithVerify<T>();

        public override void Write(ref MessagePackWriter writer, object? value) => formatter.Serialize(ref writer, (T)value!, Options);

        public override object? Read(ref MessagePackReader reader) => formatter.Deserialize(ref reader, Options);
    }

    /// <summary>
    /// Builtin (primitives, strings, arrays of them), then [MessagePackFormatter], then standard, then
    /// contractless. Builtin first answers the common case without waking the dynamic resolvers, whose
    /// start-up is a large part of a child's first call; no builtin type carries a formatter attribute,
    /// so the order is the documented one in effect.
    /// </summary>
    private sealed class ChainResolver : IFormatterResolver
    {
        public static readonly ChainResolver Instance = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

        private static class Cache<T>
        {
            public static readonly IMessagePackFormatter<T>? Formatter =
                BuiltinResolver.Instance.GetFormatter<T>()
                ?? AttributeFormatterResolver.Instance.GetFormatter<T>()
                ?? StandardResolver.Instance.GetFormatter<T>()
                ?? ContractlessStandardResolver.Instance.GetFormatter<T>();
        }
    }
}
