using System.Runtime.CompilerServices;
using Baton.Processes.Internal;

namespace Baton.Processes;

public sealed partial class ProcessPool
{
    /// <summary>
    /// Runs <paramref name="method"/> over <paramref name="items"/> in the workers, in chunks, and returns
    /// the results in the order of the items (multiprocessing.Pool.map). The first failure cancels the
    /// chunks not yet finished and is thrown.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="items">The items; all are serialized before anything is sent.</param>
    /// <param name="chunkSize">Items per task; 0 for Python's default (items / (workers * 4), rounded up).</param>
    /// <param name="progress">Told (completed, total) items as chunks complete.</param>
    /// <param name="cancellationToken">Cancels the chunks: pending ones are never sent, running ones are stopped.</param>
    public async Task<IReadOnlyList<TResult>> MapAsync<T, TResult>(Func<T, TResult> method, IEnumerable<T> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var reference = Reference(method);
        return await MapOrderedAsync<T, TResult>(reference, Materialize(items), chunkSize, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The blocking form of <see cref="MapAsync{T, TResult}"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task; 0 for Python's default.</param>
    /// <param name="progress">Told (completed, total) items as chunks complete.</param>
    public IReadOnlyList<TResult> Map<T, TResult>(Func<T, TResult> method, IEnumerable<T> items, int chunkSize = 0, IProgress<PoolProgress>? progress = null)
        => MapAsync(method, items, chunkSize, progress).GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="method"/> over <paramref name="items"/> and yields the results as chunks
    /// complete, in no particular order (multiprocessing.Pool.imap_unordered). Leaving the enumeration
    /// early cancels what has not finished.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task; 0 for Python's default.</param>
    /// <param name="cancellationToken">Cancels the chunks and the enumeration.</param>
    public IAsyncEnumerable<TResult> MapUnordered<T, TResult>(Func<T, TResult> method, IEnumerable<T> items, int chunkSize = 0, CancellationToken cancellationToken = default)
    {
        var reference = Reference(method);
        var array = Materialize(items);
        ThrowIfShutDown();
        return UnorderedAsync<T, TResult>(reference, array, chunkSize, cancellationToken);
    }

    /// <summary>Runs <paramref name="method"/> once per pair of arguments (multiprocessing.Pool.starmap); results in the order of the pairs.</summary>
    /// <typeparam name="T1">The first argument's type.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="arguments">The argument pairs.</param>
    /// <param name="chunkSize">Calls per task; 0 for Python's default.</param>
    /// <param name="progress">Told (completed, total) calls as chunks complete.</param>
    /// <param name="cancellationToken">Cancels the chunks.</param>
    public async Task<IReadOnlyList<TResult>> StarmapAsync<T1, T2, TResult>(Func<T1, T2, TResult> method, IEnumerable<(T1, T2)> arguments, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var reference = Reference(method);
        return await MapOrderedAsync<(T1, T2), TResult>(reference, Materialize(arguments), chunkSize, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="method"/> once per triple of arguments; results in the order of the triples.</summary>
    /// <typeparam name="T1">The first argument's type.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="T3">The third argument's type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="arguments">The argument triples.</param>
    /// <param name="chunkSize">Calls per task; 0 for Python's default.</param>
    /// <param name="progress">Told (completed, total) calls as chunks complete.</param>
    /// <param name="cancellationToken">Cancels the chunks.</param>
    public async Task<IReadOnlyList<TResult>> StarmapAsync<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> method, IEnumerable<(T1, T2, T3)> arguments, int chunkSize = 0, IProgress<PoolProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var reference = Reference(method);
        return await MapOrderedAsync<(T1, T2, T3), TResult>(reference, Materialize(arguments), chunkSize, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<TResult>> MapOrderedAsync<TItem, TResult>(MethodReference reference, TItem[] items, int chunkSize, IProgress<PoolProgress>? progress, CancellationToken cancellationToken)
    {
        using var chunksStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var (chunks, size) = SubmitChunks<TItem, TResult>(reference, items, chunkSize, chunksStop);
        var results = new TResult[items.Length];
        var completed = 0;
        try
        {
            if (progress is not null)
            {
                // Progress as chunks complete, in whatever order they do.
                foreach (var chunk in chunks)
                {
                    _ = chunk.ContinueWith(
                        (t, state) =>
                        {
                            if (t.IsCompletedSuccessfully)
                                ((IProgress<PoolProgress>)state!).Report(new PoolProgress(Interlocked.Add(ref completed, t.Result.Length), items.Length));
                        },
                        progress,
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                }
            }

            for (var c = 0; c < chunks.Length; c++)
            {
                var part = await chunks[c].ConfigureAwait(false);
                part.CopyTo(results, c * size);
            }
        }
        catch
        {
            await chunksStop.CancelAsync().ConfigureAwait(false);
            throw;
        }

        return results;
    }

    private async IAsyncEnumerable<TResult> UnorderedAsync<TItem, TResult>(MethodReference reference, TItem[] items, int chunkSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var chunksStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var (chunks, _) = SubmitChunks<TItem, TResult>(reference, items, chunkSize, chunksStop);
        try
        {
            await foreach (var chunk in Futures.AsCompleted(chunks, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var part = await chunk.ConfigureAwait(false);
                foreach (var result in part)
                    yield return result;
            }
        }
        finally
        {
            // Left early (break, exception): what has not finished is not wanted.
            await chunksStop.CancelAsync().ConfigureAwait(false);
        }
    }

    private (Task<TResult[]>[] Chunks, int Size) SubmitChunks<TItem, TResult>(MethodReference reference, TItem[] items, int chunkSize, CancellationTokenSource stop)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkSize);
        ThrowIfShutDown();
        // A pool served only by remote workers chunks for Workers (its expected size).
        var workers = Options.LocalWorkerCount > 0 ? Options.LocalWorkerCount : Options.Workers;
        var size = chunkSize > 0 ? chunkSize : Chunking.DefaultChunkSize(items.Length, workers);
        var count = Chunking.ChunkCount(items.Length, size);

        // The first chunk is serialized before anything is sent, so an item type that cannot be fails the call
        // at once; then each chunk is sent as soon as it is serialized, so workers start while the rest are.
        // A later item that cannot be serialized (a derived type in an object[]) cancels what was sent, and throws.
        var chunks = new Task<TResult[]>[count];
        for (var c = 0; c < count; c++)
        {
            var start = c * size;
            var length = Math.Min(size, items.Length - start);
            byte[] call;
            try
            {
                var bytes = ChunkRunner.SerializeItems<TItem>(items.AsSpan(start, length));
                call = Invocation.EncodeCall(ChunkCall, [reference.Assembly, reference.Type, reference.Token, reference.Name, bytes, null]);
            }
            catch when (c > 0)
            {
                stop.Cancel();
                throw;
            }

            var name = count == 1 ? reference.Name : $"{reference.Name}, chunk {c + 1} of {count}: items {start} to {start + length - 1}";
            var cancellationToken = stop.Token;
            if (cancellationToken.IsCancellationRequested)
            {
                chunks[c] = Task.FromCanceled<TResult[]>(cancellationToken);
                continue;
            }

            var task = new PoolTask(_dispatcher.NextTaskId(), name, reference.Assembly, call, timeout: null, idempotent: false, cancellationToken);
            _dispatcher.Enqueue(task);
            chunks[c] = ChunkResultAsync<TResult>(task);
        }

        return (chunks, size);
    }

    private static readonly Func<string, string, int, string, byte[], CancellationToken, byte[]> ChunkCall = ChunkRunner.Run;

    private static async Task<TResult[]> ChunkResultAsync<TResult>(PoolTask task)
    {
        var outcome = await task.Completion.Task.ConfigureAwait(false);
        return ChunkRunner.DeserializeResults<TResult>(Invocation.DecodeOutcome<byte[]>(outcome));
    }

    private static MethodReference Reference(Delegate method)
    {
        var reference = MethodReference.Of(method, nameof(method));
        Invocation.ValidateResultType(method);
        return reference;
    }

    private static T[] Materialize<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items as T[] ?? [.. items];
    }
}
