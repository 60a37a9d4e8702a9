using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using MessagePack;

namespace Baton.Processes.Internal;

/// <summary>
/// The invocation core shared by ChildProcess and the process pool: a call (a method reference and its
/// arguments) and its outcome (the result or the exception) as bytes. The transport is the caller's.
/// </summary>
/// <remarks>
/// A call is a MessagePack array: [version, assembly simple name, module MVID, method metadata token,
/// target kind (0 static, 1 non-capturing lambda), call name, [argument per parameter]]. An outcome is
/// [0, result] or [1, exception record]; an exception record is [type full name, assembly simple name,
/// message, stack trace, HResult, data map, inner record or nil]. Arguments and results travel by the
/// parameters' and return type's declared types.
/// </remarks>
internal static class Invocation
{
    private const int Version = 1;
    private const int TargetStatic = 0;
    private const int TargetLambda = 1;
    private const int OutcomeResult = 0;
    private const int OutcomeException = 1;

    /// <summary>Prefix of the singleton field the C# compiler gives a non-capturing lambda's "&lt;&gt;c" class.</summary>
    private const string LambdaSingletonField = "<>9";

    // Keyed by a string ("mvid:token"): a reference-type key uses the runtime's precompiled shared code.
    private static readonly ConcurrentDictionary<string, ResolvedMethod> Resolved = new(StringComparer.Ordinal);

    /// <summary>
    /// Validates <paramref name="method"/> (a static method or a lambda that captures nothing) and encodes it
    /// with <paramref name="arguments"/>, one per parameter (a CancellationToken parameter's entry is ignored:
    /// the executing side supplies its own token). Throws, naming the problem, before anything is sent.
    /// </summary>
    public static byte[] EncodeCall(Delegate method, ReadOnlySpan<object?> arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        var info = Validate(method, out var targetKind);
        var parameters = info.GetParameters();
        if (parameters.Length != arguments.Length)
            throw new ArgumentException($"{CallName(info)} takes {parameters.Length} argument(s) but {arguments.Length} were given.", nameof(arguments));

        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(7);
        writer.Write(Version);
        writer.Write(info.Module.Assembly.GetName().Name);
        writer.Write(info.Module.ModuleVersionId.ToByteArray());
        writer.Write(info.MetadataToken);
        writer.Write(targetKind);
        writer.Write(CallName(info));
        writer.WriteArrayHeader(parameters.Length);
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            if (type == typeof(CancellationToken))
            {
                writer.WriteNil();
                continue;
            }

            if (arguments[i] is null && type.IsValueType && Nullable.GetUnderlyingType(type) is null)
                throw new ArgumentException($"Argument '{parameters[i].Name}' of {CallName(info)} is null, but its type {Serialization.TypeName(type)} is a value type.", nameof(arguments));
            if (arguments[i] is { } argument && !type.IsInstanceOfType(argument))
                throw new ArgumentException($"Argument '{parameters[i].Name}' of {CallName(info)} is a {Serialization.TypeName(argument.GetType())}, not a {Serialization.TypeName(type)}.", nameof(arguments));
            try
            {
                Serialization.Serialize(type, ref writer, arguments[i]);
            }
            catch (Exception e) when (e is MessagePackSerializationException or FormatterNotRegisteredException or NotSupportedException or InvalidOperationException or TypeInitializationException)
            {
                throw new ArgumentException(
                    $"Argument '{parameters[i].Name}' of {CallName(info)} cannot be sent to another process: a value of type {Serialization.TypeName(arguments[i]?.GetType() ?? type)} cannot be serialized ({Innermost(e).Message}). {SendableHint(arguments[i]?.GetType() ?? type)}",
                    nameof(arguments), e);
            }
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The name of the method a delegate calls, for messages ("MyApp.Work.Square", or
    /// "MyApp.Work.Main lambda" for a lambda written in Main).
    /// </summary>
    public static string CallName(Delegate method) => CallName(method.Method);

    /// <summary>The call name stored in an encoded call, without resolving anything.</summary>
    public static string CallName(ReadOnlyMemory<byte> call)
    {
        var reader = new MessagePackReader(call);
        reader.ReadArrayHeader();
        for (var i = 0; i < 5; i++)
            reader.Skip();
        return reader.ReadString() ?? "?";
    }

    /// <summary>The simple name of the assembly an encoded call's method lives in, without resolving anything; null for bytes that are not a call.</summary>
    public static string? AssemblyNameOf(ReadOnlyMemory<byte> call)
    {
        try
        {
            var reader = new MessagePackReader(call);
            if (reader.ReadArrayHeader() != 7 || reader.ReadInt32() != Version)
                return null;
            return reader.ReadString();
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks, at the call, that a delegate's result type can come back (unwrapping Task and ValueTask).
    /// Throws <see cref="ArgumentException"/> naming the type when it cannot.
    /// </summary>
    public static void ValidateResultType(Delegate method)
    {
        var type = ResultType(method.Method.ReturnType);
        if (type is null)
            return;
        if (!IsSendable(type, out var reason))
            throw new ArgumentException($"The result of {CallName(method.Method)} cannot come back from another process: a value of type {Serialization.TypeName(type)} cannot be serialized ({reason}). {SendableHint(type)}", nameof(method));
    }

    /// <summary>
    /// Runs an encoded call: resolves the method (refusing a different build of its assembly), decodes the
    /// arguments, passes <paramref name="cancellationToken"/> to a CancellationToken parameter, awaits a
    /// Task or ValueTask, and encodes the outcome. Never throws for the method's own failures: they become
    /// the outcome. Throws <see cref="InvalidDataException"/> for a call it cannot decode or resolve.
    /// </summary>
    public static async ValueTask<byte[]> ExecuteAsync(ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        ResolvedMethod resolved;
        object?[] arguments;
        try
        {
            (resolved, arguments) = DecodeCall(call, cancellationToken);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            return EncodeException(e);
        }

        object? value;
        try
        {
            value = resolved.Method.Invoke(resolved.Target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
            if (resolved.Awaitable is { } awaitable)
            {
                var task = awaitable switch
                {
                    AwaitKind.ValueTask => ((ValueTask)value!).AsTask(),
                    AwaitKind.ValueTaskOfT => (Task)resolved.AsTask!.Invoke(value, null)!,
                    _ => (Task)value!,
                };
                await task.ConfigureAwait(false);
                value = resolved.TaskResult?.GetValue(task);
            }
        }
        catch (Exception e)
        {
            return EncodeException(e);
        }

        return EncodeResult(resolved, value);
    }

    /// <summary>The outcome's result as <typeparamref name="T"/>, or throws the rebuilt exception.</summary>
    public static T DecodeOutcome<T>(ReadOnlyMemory<byte> outcome)
    {
        var reader = new MessagePackReader(outcome);
        if (reader.ReadArrayHeader() != 2)
            throw new InvalidDataException("Not an invocation outcome.");
        var kind = reader.ReadInt32();
        if (kind == OutcomeResult)
            return MessagePackSerializer.Deserialize<T>(ref reader, Serialization.Options)!;
        if (kind != OutcomeException)
            throw new InvalidDataException($"Unknown outcome kind {kind}.");
        throw ReadException(ref reader) ?? new InvalidDataException("An exception outcome without an exception.");
    }

    /// <summary>
    /// Rebuilds the exception an outcome carries, or returns null for a result (used where a caller wants the
    /// exception as a value, e.g. to fail a TaskCompletionSource).
    /// </summary>
    public static Exception? DecodeException(ReadOnlyMemory<byte> outcome)
    {
        var reader = new MessagePackReader(outcome);
        reader.ReadArrayHeader();
        return reader.ReadInt32() == OutcomeException ? ReadException(ref reader) : null;
    }

    /// <summary>
    /// Runs one small call through encode, execute and decode, so that a process waiting for work (a spare
    /// child) has compiled the path its real call will take. Never throws.
    /// </summary>
    public static void WarmUp()
    {
        try
        {
            var call = EncodeCall(WarmUpTarget, [1, "warm"]);
            var outcome = ExecuteAsync(call, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            DecodeOutcome<int>(outcome);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or MessagePackSerializationException)
        {
            // Only a warm-up: the real call reports its own problems.
        }
    }

    private static int WarmUpTarget(int number, string text) => number + text.Length;

    /// <summary>Whether an outcome carries an exception rather than a result.</summary>
    public static bool IsException(ReadOnlySpan<byte> outcome) => outcome.Length > 1 && outcome[1] == OutcomeException;

    /// <summary>Encodes an exception as an outcome (also for failures around the call, e.g. a lost connection).</summary>
    public static byte[] EncodeException(Exception exception)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(OutcomeException);
        WriteException(ref writer, exception, depth: 0);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static MethodInfo Validate(Delegate method, out int targetKind)
    {
        if (method.HasSingleTarget is false)
            throw new ArgumentException("A multicast delegate cannot run in another process: pass a single method.", nameof(method));
        var info = method.Method;
        var target = method.Target;
        if (info.IsGenericMethod || info.DeclaringType is { ContainsGenericParameters: true } || info.DeclaringType is { IsGenericType: true })
            throw new ArgumentException($"{CallName(info)} is generic; a child process can run only non-generic methods (wrap it in a non-generic static method).", nameof(method));
        if (info.DeclaringType is null)
            throw new ArgumentException("Only methods compiled into an assembly can run in another process.", nameof(method));

        if (info.IsStatic)
        {
            if (target is not null)
                throw new ArgumentException($"The delegate to {CallName(info)} is closed over its first argument ({Serialization.TypeName(target.GetType())}): pass that value as an argument instead.", nameof(method));
            targetKind = TargetStatic;
            return info;
        }

        var type = target!.GetType();
        if (IsLambdaSingleton(type, target))
        {
            targetKind = TargetLambda;
            return info;
        }

        var captured = new List<string>();
        CollectCaptures(target, captured, depth: 0);
        throw new ArgumentException(
            $"The lambda passed as {CallName(info)} captures {string.Join(", ", captured)}: a child process runs in another address space, so captured state cannot follow it. Make the lambda static (or use a static method) and pass the state as an argument.",
            nameof(method));
    }

    private static bool IsLambdaSingleton(Type type, object target)
    {
        if (!type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || !type.Name.StartsWith("<>c", StringComparison.Ordinal) || type.Name.StartsWith("<>c__DisplayClass", StringComparison.Ordinal))
            return false;
        var field = type.GetField(LambdaSingletonField, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
        return field is not null && ReferenceEquals(field.GetValue(null), target);
    }

    private static void CollectCaptures(object target, List<string> captured, int depth)
    {
        var type = target.GetType();
        if (!type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || depth > 8)
        {
            captured.Add($"'this' (an instance of {Serialization.TypeName(type)})");
            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.Name.EndsWith("__this", StringComparison.Ordinal))
                captured.Add($"'this' (an instance of {Serialization.TypeName(field.FieldType)})");
            else if (field.Name.StartsWith("CS$<>", StringComparison.Ordinal) && field.GetValue(target) is { } outer)
                CollectCaptures(outer, captured, depth + 1); // an enclosing scope's display class
            else if (field.Name.StartsWith('<'))
                continue; // the compiler's own fields (cached delegates): not the user's state
            else
                captured.Add($"'{field.Name}'");
        }

        if (captured.Count == 0)
            captured.Add("state");
    }

    private static string CallName(MethodInfo method)
    {
        var type = method.DeclaringType;
        var name = method.Name;
        if (name.StartsWith('<'))
        {
            while (type is { DeclaringType: not null } && type.Name.StartsWith('<'))
                type = type.DeclaringType;
            // A local function compiles to "<Enclosing>g__Name|0_0" on the enclosing type: "Type.Enclosing.Name".
            if (name.Contains(">g__", StringComparison.Ordinal))
                return $"{type?.FullName?.Replace('+', '.')}.{Readable(name)}";
            // A lambda compiles to "<Enclosing>b__0_0" in a nested "<>c" class: name the enclosing method.
            if (name.LastIndexOf('>') is var end and > 1)
                return $"{type?.FullName?.Replace('+', '.')}.{Readable(name[1..end])} lambda";
        }

        return $"{type?.FullName?.Replace('+', '.')}.{name}";
    }

    /// <summary>
    /// A compiler-generated method name as the user wrote it: "&lt;Main&gt;$" (top-level statements) is Main,
    /// "&lt;Run&gt;g__Local|0_0" is Run.Local.
    /// </summary>
    private static string Readable(string name)
    {
        if (name == "<Main>$")
            return "Main";
        var local = name.LastIndexOf(">g__", StringComparison.Ordinal);
        if (name.StartsWith('<') && local > 1)
        {
            var bar = name.IndexOf('|', local);
            return $"{Readable(name[1..local])}.{(bar > 0 ? name[(local + 4)..bar] : name[(local + 4)..])}";
        }

        return name;
    }

    private static (ResolvedMethod Method, object?[] Arguments) DecodeCall(ReadOnlyMemory<byte> call, CancellationToken cancellationToken)
    {
        var reader = new MessagePackReader(call);
        if (reader.ReadArrayHeader() != 7 || reader.ReadInt32() != Version)
            throw new InvalidDataException("Not a Baton invocation, or one from another Baton version.");
        var assemblyName = reader.ReadString() ?? throw new InvalidDataException("A call without an assembly name.");
        var mvidBytes = reader.ReadBytes() ?? throw new InvalidDataException("A call without a module version id.");
        var mvid = new Guid(mvidBytes.FirstSpan.Length == 16 ? mvidBytes.FirstSpan : mvidBytes.ToArray());
        var token = reader.ReadInt32();
        var targetKind = reader.ReadInt32();
        var callName = reader.ReadString() ?? "?";

        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{mvid:N}:{token:x8}");
        if (!Resolved.TryGetValue(key, out var resolved))
            resolved = Resolved.GetOrAdd(key, Resolve(assemblyName, mvid, token, targetKind, callName));
        var parameters = resolved.Parameters;
        var count = reader.ReadArrayHeader();
        if (count != parameters.Length)
            throw new InvalidDataException($"The call to {callName} carries {count} argument(s); the method takes {parameters.Length}.");
        var arguments = new object?[count];
        for (var i = 0; i < count; i++)
        {
            var type = parameters[i].ParameterType;
            if (type == typeof(CancellationToken))
            {
                reader.Skip();
                arguments[i] = cancellationToken;
            }
            else
            {
                arguments[i] = Serialization.Deserialize(type, ref reader);
            }
        }

        return (resolved, arguments);
    }

    private static ResolvedMethod Resolve(string assemblyName, Guid mvid, int token, int targetKind, string callName)
    {
        // The default load context hands back the assembly when it is loaded already, else loads it from the
        // app's own list (TPA): a name from the wire never reaches a file path.
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidDataException($"Cannot run {callName}: assembly {assemblyName} is not part of this application.", e);
        }

        if (assembly.ManifestModule.ModuleVersionId != mvid)
            throw new InvalidDataException($"Cannot run {callName}: this process has a different build of {assemblyName} (module version {assembly.ManifestModule.ModuleVersionId}, the caller's is {mvid}). Deploy the same build on both sides.");

        var method = assembly.ManifestModule.ResolveMethod(token) as MethodInfo
            ?? throw new InvalidDataException($"Cannot run {callName}: token {token:x8} is not a method of {assemblyName}.");
        object? target = null;
        if (targetKind == TargetLambda)
        {
            var field = method.DeclaringType?.GetField(LambdaSingletonField, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
            target = field?.GetValue(null) ?? throw new InvalidDataException($"Cannot run {callName}: its lambda class has no singleton.");
        }
        else if (!method.IsStatic)
        {
            throw new InvalidDataException($"Cannot run {callName}: it is an instance method.");
        }

        return new ResolvedMethod(method, target);
    }

    private static byte[] EncodeResult(ResolvedMethod resolved, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(OutcomeResult);
        try
        {
            if (resolved.ResultType is null)
                writer.WriteNil();
            else
                Serialization.Serialize(resolved.ResultType, ref writer, value);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        catch (Exception e)
        {
            return EncodeException(new SerializationException(
                $"The result of {resolved.CallName} (a {Serialization.TypeName(value?.GetType() ?? resolved.ResultType!)}) cannot be serialized to come back to the caller: {Innermost(e).Message}", e));
        }
    }

    private static void WriteException(ref MessagePackWriter writer, Exception exception, int depth)
    {
        var type = exception.GetType();
        writer.WriteArrayHeader(7);
        writer.Write(type.FullName);
        writer.Write(type.Assembly.GetName().Name);
        writer.Write(Safe(exception, static e => e.Message));
        writer.Write(Safe(exception, static e => e.StackTrace));
        writer.Write(exception.HResult);
        WriteData(ref writer, exception);
        var inner = exception.InnerException;
        if (inner is null || depth >= 16)
            writer.WriteNil();
        else
            WriteException(ref writer, inner, depth + 1);
    }

    private static void WriteData(ref MessagePackWriter writer, Exception exception)
    {
        IDictionary? data = null;
        try
        {
            data = exception.Data;
        }
        catch (Exception)
        {
            // A Data getter that throws leaves the map empty: type, message and stack still travel.
        }

        var entries = new List<(string, string)>();
        if (data is not null)
        {
            foreach (DictionaryEntry entry in data)
            {
                if (entry.Key is string key && entry.Value is string or bool or int or long or double or Guid or DateTime or null)
                    entries.Add((key, Convert.ToString(entry.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
            }
        }

        writer.WriteMapHeader(entries.Count);
        foreach (var (key, value) in entries)
        {
            writer.Write(key);
            writer.Write(value);
        }
    }

    private static string? Safe(Exception exception, Func<Exception, string?> read)
    {
        try
        {
            return read(exception);
        }
        catch (Exception e)
        {
            return $"<unavailable: {e.GetType().Name}>";
        }
    }

    private static Exception? ReadException(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
            return null;
        if (reader.ReadArrayHeader() != 7)
            throw new InvalidDataException("Not an exception record.");
        var typeName = reader.ReadString() ?? "System.Exception";
        var assemblyName = reader.ReadString();
        var message = reader.ReadString() ?? "";
        var stackTrace = reader.ReadString();
        var hresult = reader.ReadInt32();
        var data = new List<(string, string?)>();
        var entries = reader.ReadMapHeader();
        for (var i = 0; i < entries; i++)
            data.Add((reader.ReadString() ?? "", reader.ReadString()));
        var inner = ReadException(ref reader);

        var exception = Rebuild(typeName, assemblyName, message, inner) ?? new RemoteException(typeName, message, stackTrace, inner);
        exception.HResult = hresult;
        foreach (var (key, value) in data)
            exception.Data[key] = value;
        if (!string.IsNullOrEmpty(stackTrace))
            ExceptionDispatchInfo.SetRemoteStackTrace(exception, stackTrace);
        return exception;
    }

    /// <summary>
    /// The original exception type, when this process has it (only among assemblies already loaded: a name
    /// from the wire never makes us load code) and it has a (string) or (string, Exception) constructor.
    /// </summary>
    private static Exception? Rebuild(string typeName, string? assemblyName, string message, Exception? inner)
    {
        Type? type = null;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (string.Equals(assembly.GetName().Name, assemblyName, StringComparison.Ordinal))
            {
                type = assembly.GetType(typeName, throwOnError: false);
                if (type is not null)
                    break;
            }
        }

        if (type is null || !typeof(Exception).IsAssignableFrom(type) || type.IsAbstract || type.ContainsGenericParameters)
            return null;
        try
        {
            var withInner = type.GetConstructor([typeof(string), typeof(Exception)]);
            var withMessage = type.GetConstructor([typeof(string)]);
            // ArgumentNullException(string), ArgumentOutOfRangeException(string), ObjectDisposedException(string)
            // and the like take a parameter or object name, not a message: use (message, null) for them.
            if (inner is null && withMessage is not null && withMessage.GetParameters()[0].Name is not ("paramName" or "objectName"))
                return (Exception)withMessage.Invoke([message]);
            if (withInner is not null)
                return (Exception)withInner.Invoke([message, inner]);
        }
        catch (TargetInvocationException)
        {
            // A constructor that refuses our arguments: fall back to RemoteException.
        }

        return null;
    }

    /// <summary>What to do about a type that cannot be serialized: make it public, or send plain data.</summary>
    private static string SendableHint(Type type)
    {
        // Types declared in Program.cs are internal unless marked: the commonest reason a user's record fails.
        if (NonPublic(type, depth: 0) is { } t)
        {
            return $"Make {Serialization.TypeName(t)} public (classes and records declared without an access modifier are internal, and the serializer only builds formatters for public types).";
        }

        return "Pass plain data (primitives, strings, arrays, collections, public records, public classes with public properties).";
    }

    /// <summary>The first non-public type in <paramref name="type"/>, its element type or its type arguments.</summary>
    private static Type? NonPublic(Type type, int depth)
    {
        if (depth > 8 || type.IsGenericParameter)
            return null;
        if (type.HasElementType)
            return NonPublic(type.GetElementType()!, depth + 1);
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                if (NonPublic(argument, depth + 1) is { } found)
                    return found;
            }
        }

        return type.IsVisible ? null : type;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null && e is TypeInitializationException or MessagePackSerializationException)
            e = e.InnerException;
        return e;
    }

    internal static Type? ResultType(Type returnType)
    {
        if (returnType == typeof(void) || returnType == typeof(Task) || returnType == typeof(ValueTask))
            return null;
        if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            return returnType.GetGenericArguments()[0];
        return returnType;
    }

    private static bool IsSendable(Type type, out string reason)
    {
        if (type.IsPointer || type.IsByRef || type.IsByRefLike)
        {
            reason = "pointers, references and ref structs live in one process";
            return false;
        }

        if (typeof(Delegate).IsAssignableFrom(type) || typeof(Stream).IsAssignableFrom(type) || typeof(SafeHandle).IsAssignableFrom(type)
            || typeof(WaitHandle).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type)
            || typeof(Thread).IsAssignableFrom(type) || typeof(CancellationTokenSource).IsAssignableFrom(type))
        {
            reason = "it holds process-local state (code, handles, threads or streams)";
            return false;
        }

        try
        {
            Serialization.EnsureFormatter(type);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or FormatterNotRegisteredException or TypeInitializationException or NotSupportedException or InvalidOperationException)
        {
            reason = Innermost(e).Message;
            return false;
        }
    }

    private enum AwaitKind
    {
        Task,
        ValueTask,
        ValueTaskOfT,
    }

    /// <summary>A method resolved once per (module, token): what to call and how to unwrap its result.</summary>
    private sealed class ResolvedMethod
    {
        public ResolvedMethod(MethodInfo method, object? target)
        {
            Method = method;
            Target = target;
            Parameters = method.GetParameters();
            CallName = Invocation.CallName(method);
            var returnType = method.ReturnType;
            ResultType = Invocation.ResultType(returnType);
            if (returnType == typeof(Task))
            {
                Awaitable = AwaitKind.Task;
            }
            else if (returnType == typeof(ValueTask))
            {
                Awaitable = AwaitKind.ValueTask;
            }
            else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
            {
                Awaitable = AwaitKind.Task;
                TaskResult = returnType.GetProperty(nameof(Task<int>.Result));
            }
            else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
            {
                Awaitable = AwaitKind.ValueTaskOfT;
                AsTask = returnType.GetMethod(nameof(ValueTask<int>.AsTask));
                TaskResult = typeof(Task<>).MakeGenericType(ResultType!).GetProperty(nameof(Task<int>.Result));
            }
        }

        public MethodInfo Method { get; }

        public object? Target { get; }

        public ParameterInfo[] Parameters { get; }

        public string CallName { get; }

        public Type? ResultType { get; }

        public AwaitKind? Awaitable { get; }

        public MethodInfo? AsTask { get; }

        public PropertyInfo? TaskResult { get; }
    }
}
