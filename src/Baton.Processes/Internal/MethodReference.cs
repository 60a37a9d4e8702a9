using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Baton.Processes.Internal;

/// <summary>
/// A method named so another process running the same app can find it: assembly, declaring type and
/// metadata token. The Map family sends this once per chunk rather than a call per item.
/// </summary>
internal readonly record struct MethodReference(string Assembly, string Type, int Token, string Name)
{
    private static readonly ConcurrentDictionary<MethodReference, (MethodInfo Method, object? Target)> Resolved = new();

    /// <summary>The reference to <paramref name="method"/>'s method, refusing what another process could not rebuild.</summary>
    public static MethodReference Of(Delegate method, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(method, parameterName);
        var info = method.Method;
        var type = info.DeclaringType
            ?? throw new ArgumentException($"The method {info.Name} has no declaring type (a dynamic method): a worker could not find it.", parameterName);
        if (method.GetInvocationList().Length > 1)
            throw new ArgumentException("A multicast delegate cannot run in a worker: pass one method.", parameterName);
        if (info.IsGenericMethod || type.ContainsGenericParameters || type.IsGenericType)
            throw new ArgumentException($"{NameOf(info)} is generic: the Map family runs non-generic methods; wrap it in a non-generic static method.", parameterName);
        if (method.Target is { } target && !IsLambdaSingleton(target))
        {
            // Invocation's check names what is captured; it throws for any target but a lambda singleton.
            Invocation.EncodeCall(method, new object?[info.GetParameters().Length]);
            throw new ArgumentException($"{NameOf(info)} runs on an instance ({target.GetType().Name}): a worker cannot receive it. Make it static, or pass the state as an argument.", parameterName);
        }

        return new MethodReference(type.Assembly.FullName!, type.FullName!, info.MetadataToken, Invocation.CallName(method));
    }

    private static bool IsLambdaSingleton(object target)
    {
        var type = target.GetType();
        if (!type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || !type.Name.StartsWith("<>c", StringComparison.Ordinal) || type.Name.StartsWith("<>c__DisplayClass", StringComparison.Ordinal))
            return false;
        return ReferenceEquals(type.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null), target);
    }

    /// <summary>"Namespace.Type.Method", with compiler-generated names kept as they are.</summary>
    public static string NameOf(MethodInfo method) => $"{method.DeclaringType?.FullName}.{method.Name}";

    /// <summary>The method and, for a non-capturing lambda, the instance it runs on.</summary>
    public (MethodInfo Method, object? Target) Resolve() => Resolved.GetOrAdd(this, static reference =>
    {
        var assembly = System.Reflection.Assembly.Load(new AssemblyName(reference.Assembly));
        var type = assembly.GetType(reference.Type, throwOnError: true)!;
        var method = type.Module.ResolveMethod(reference.Token) as MethodInfo;
        if (method is null || method.DeclaringType != type)
            throw new MissingMethodException($"The worker's copy of {reference.Assembly} has no method {reference.Name}: deploy the same build as the pool's.");
        object? target = null;
        if (!method.IsStatic)
        {
            // A lambda that captures nothing lives on the compiler's singleton closure class.
            target = type.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
                ?? RuntimeHelpers.GetUninitializedObject(type);
        }

        return (method, target);
    });
}
