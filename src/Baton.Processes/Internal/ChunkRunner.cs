using System.Collections.Concurrent;
using System.Reflection;
using MessagePack;

namespace Baton.Processes.Internal;

/// <summary>
/// Runs one chunk of a Map in a worker: the items travel as one serialized array, the method is found
/// once (<see cref="MethodReference"/>) and called through a typed delegate, the results travel back
/// as one array. This is where the Map family's speed comes from: per item, no envelope, no reflection.
/// </summary>
internal static class ChunkRunner
{
    private static readonly ConcurrentDictionary<MethodReference, IChunkInvoker> Invokers = new();

    /// <summary>The worker-side entry: runs the referenced method over the serialized items.</summary>
    public static byte[] Run(string assembly, string type, int token, string name, byte[] items, CancellationToken cancellationToken)
    {
        var reference = new MethodReference(assembly, type, token, name);
        var invoker = Invokers.GetOrAdd(reference, static r => Create(r));
        return invoker.Run(items, cancellationToken);
    }

    /// <summary>Serializes a chunk of items for <see cref="Run"/>; throws at once, naming the type, when it cannot be serialized.</summary>
    public static byte[] SerializeItems<TItem>(ReadOnlySpan<TItem> items)
    {
        try
        {
            return ChunkCodec<TItem>.Serialize(items);
        }
        catch (Exception e) when (e is MessagePackSerializationException or FormatterNotRegisteredException or InvalidOperationException)
        {
            throw new ArgumentException($"The items cannot be serialized to send to a worker: {Serialization.TypeName(typeof(TItem))} is not serializable ({e.InnerException?.Message ?? e.Message}).", nameof(items), e);
        }
    }

    /// <summary>The results of a chunk, as the worker serialized them.</summary>
    public static TResult[] DeserializeResults<TResult>(byte[] bytes) => ChunkCodec<TResult>.Deserialize(bytes);

    private static IChunkInvoker Create(MethodReference reference)
    {
        var (method, target) = reference.Resolve();
        var parameters = method.GetParameters();
        var types = new Type[parameters.Length + 1];
        for (var i = 0; i < parameters.Length; i++)
            types[i] = parameters[i].ParameterType;
        types[^1] = method.ReturnType;
        var invokerType = parameters.Length switch
        {
            1 => typeof(Invoker<,>),
            2 => typeof(Invoker<,,>),
            3 => typeof(Invoker<,,,>),
            _ => throw new NotSupportedException($"{reference.Name} takes {parameters.Length} parameters: the Map family calls methods of 1 to 3."),
        };
        return (IChunkInvoker)Activator.CreateInstance(invokerType.MakeGenericType(types), method, target)!;
    }

    private interface IChunkInvoker
    {
        byte[] Run(byte[] items, CancellationToken cancellationToken);
    }

    private sealed class Invoker<T, TResult>(MethodInfo method, object? target) : IChunkInvoker
    {
        private readonly Func<T, TResult> _call = method.CreateDelegate<Func<T, TResult>>(target);

        public byte[] Run(byte[] items, CancellationToken cancellationToken)
        {
            var input = ChunkCodec<T>.Deserialize(items);
            var output = new TResult[input.Length];
            for (var i = 0; i < input.Length; i++)
            {
                if ((i & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                output[i] = _call(input[i]);
            }

            return ChunkCodec<TResult>.Serialize(output);
        }
    }

    private sealed class Invoker<T1, T2, TResult>(MethodInfo method, object? target) : IChunkInvoker
    {
        private readonly Func<T1, T2, TResult> _call = method.CreateDelegate<Func<T1, T2, TResult>>(target);

        public byte[] Run(byte[] items, CancellationToken cancellationToken)
        {
            var input = ChunkCodec<(T1, T2)>.Deserialize(items);
            var output = new TResult[input.Length];
            for (var i = 0; i < input.Length; i++)
            {
                if ((i & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                output[i] = _call(input[i].Item1, input[i].Item2);
            }

            return ChunkCodec<TResult>.Serialize(output);
        }
    }

    private sealed class Invoker<T1, T2, T3, TResult>(MethodInfo method, object? target) : IChunkInvoker
    {
        private readonly Func<T1, T2, T3, TResult> _call = method.CreateDelegate<Func<T1, T2, T3, TResult>>(target);

        public byte[] Run(byte[] items, CancellationToken cancellationToken)
        {
            var input = ChunkCodec<(T1, T2, T3)>.Deserialize(items);
            var output = new TResult[input.Length];
            for (var i = 0; i < input.Length; i++)
            {
                if ((i & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                output[i] = _call(input[i].Item1, input[i].Item2, input[i].Item3);
            }

            return ChunkCodec<TResult>.Serialize(output);
        }
    }
}
