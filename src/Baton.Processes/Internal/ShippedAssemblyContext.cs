using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;

namespace Baton.Processes.Internal;

/// <summary>
/// The assemblies one pool shipped to this worker, loaded in a context of their own (one per pool
/// connection, never the default context), so shipped code cannot replace the worker's own assemblies.
/// The task's assembly is fetched before the task runs; its dependencies are fetched when the runtime
/// asks for them (<see cref="AssemblyLoadContext.Resolving"/>), so only what a task touches travels.
/// Names the default context can load (the framework, Baton, MessagePack) resolve there and are shared.
/// </summary>
internal sealed class ShippedAssemblyContext : AssemblyLoadContext
{
    /// <summary>The start of every such context's name; the pool's endpoint follows.</summary>
    public const string NamePrefix = "Baton shipped code from ";

    /// <summary>How long a dependency may take to arrive before its load fails (the task then fails with a FileNotFoundException); a cancelled task stops waiting at once.</summary>
    private static readonly TimeSpan DependencyWait = TimeSpan.FromMinutes(2);

    /// <summary>The cancellation of the task whose code runs on this flow (set by the worker), so a dependency's wait ends with it.</summary>
    public static readonly AsyncLocal<CancellationToken> TaskCancellation = new();

    private readonly Func<string, Task<Shipment>> _fetch;
    private readonly Dictionary<string, Task<Acquired>> _assemblies = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="endpoint">The pool's endpoint, for the context's name.</param>
    /// <param name="fetch">Asks the pool for an assembly by name; completes with its bytes and hash, or the pool's refusal.</param>
    public ShippedAssemblyContext(string endpoint, Func<string, Task<Shipment>> fetch)
        : base(NamePrefix + endpoint, isCollectible: false)
    {
        _fetch = fetch;
        Resolving += OnResolving;
    }

    /// <summary>An assembly file as the pool sent it, or the pool's reason for sending none.</summary>
    /// <param name="Hash">The SHA-256 the pool computed over <paramref name="Bytes"/>.</param>
    /// <param name="Bytes">The assembly file.</param>
    /// <param name="Refusal">Why the pool sends nothing; null when it sent the assembly.</param>
    public readonly record struct Shipment(ReadOnlyMemory<byte> Hash, ReadOnlyMemory<byte> Bytes, string? Refusal);

    /// <summary>The outcome of fetching one assembly: the assembly, or why there is none (in words for the pool's caller).</summary>
    public readonly record struct Acquired(Assembly? Assembly, string Reason);

    /// <summary>Whether the assembly named <paramref name="assemblyName"/> was shipped and loaded here already.</summary>
    public bool Has(string assemblyName)
    {
        var name = SimpleName(assemblyName);
        lock (_assemblies)
            return name is not null && _assemblies.TryGetValue(name, out var task) && task.IsCompletedSuccessfully && task.Result.Assembly is not null;
    }

    /// <summary>
    /// The assembly, shipped by the pool and loaded in this context: fetched once (concurrent callers share
    /// the fetch), its SHA-256 checked before it is loaded. A failure is not remembered: a later task asks again.
    /// </summary>
    public Task<Acquired> AcquireAsync(string assemblyName)
    {
        var name = SimpleName(assemblyName);
        if (name is null)
            return Task.FromResult(new Acquired(null, $"'{assemblyName}' is not an assembly name"));
        lock (_assemblies)
        {
            if (!_assemblies.TryGetValue(name, out var task))
            {
                task = FetchAndLoadAsync(assemblyName, name);
                _assemblies[name] = task;
                // A failure is forgotten once it is known, so the next task asks again.
                task.ContinueWith(Forget, name, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return task;
        }
    }

    /// <summary>Checks a shipped assembly's bytes against the hash the pool sent with them.</summary>
    public static bool HashMatches(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, actual);
        return hash.Length == actual.Length && CryptographicOperations.FixedTimeEquals(hash, actual);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Only what was shipped here; null lets the default context resolve the rest (framework, Baton),
        // and what it cannot find comes back through Resolving.
        if (assemblyName.Name is not { } name)
            return null;
        lock (_assemblies)
        {
            return _assemblies.TryGetValue(name, out var task) && task.IsCompletedSuccessfully ? task.Result.Assembly : null;
        }
    }

    private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || IsBatonsOwn(name.Name))
            return null;
        // A dependency of shipped code, asked for by the runtime on the task's thread: wait for the pool's
        // answer here (the worker's receive loop, on another thread, delivers it).
        var acquired = AcquireAsync(name.FullName);
        try
        {
            return acquired.Wait(DependencyWait, TaskCancellation.Value) ? acquired.Result.Assembly : null;
        }
        catch (OperationCanceledException)
        {
            // The task was cancelled while its dependency was on its way: the load fails, the task ends.
            return null;
        }
    }

    private async Task<Acquired> FetchAndLoadAsync(string assemblyName, string simpleName)
    {
        Acquired result;
        if (IsBatonsOwn(simpleName))
        {
            result = new Acquired(null, $"the pool's app needs a version of {simpleName} this worker does not have; Baton's own assemblies are never shipped: run the same Baton version on both sides");
        }
        else
        {
            Shipment shipment;
            try
            {
                shipment = await _fetch(assemblyName).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Timed out, the connection closed, or the worker is stopping: no assembly, and the reason.
                shipment = new Shipment(default, default, $"the pool did not ship it ({e.GetType().Name}: {e.Message})");
            }

            result = LoadShipped(assemblyName, simpleName, shipment);
        }

        return result;
    }

    private void Forget(Task<Acquired> task, object? name)
    {
        if (task.IsCompletedSuccessfully && task.Result.Assembly is not null)
            return;
        lock (_assemblies)
        {
            if (_assemblies.TryGetValue((string)name!, out var current) && current == task)
                _assemblies.Remove((string)name!);
        }
    }

    private Acquired LoadShipped(string assemblyName, string simpleName, Shipment shipment)
    {
        if (shipment.Refusal is { } refusal)
            return new Acquired(null, $"the pool did not ship assembly '{assemblyName}': {refusal}");
        if (!HashMatches(shipment.Hash.Span, shipment.Bytes.Span))
            return new Acquired(null, $"the assembly '{assemblyName}' the pool shipped failed its SHA-256 check (the bytes are not those the pool hashed), so this worker did not load it");
        Assembly assembly;
        try
        {
            using var stream = new MemoryStream(shipment.Bytes.ToArray(), writable: false);
            assembly = LoadFromStream(stream);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            return new Acquired(null, $"the assembly '{assemblyName}' the pool shipped cannot be loaded ({e.GetType().Name}: {e.Message})");
        }

        if (!string.Equals(assembly.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
            return new Acquired(null, $"the pool shipped '{assembly.GetName().Name}' when asked for '{assemblyName}'");
        return new Acquired(assembly, "");
    }

    /// <summary>Baton's own assemblies must be the worker's (their types are shared with the worker's loop): never fetched, never shipped.</summary>
    public static bool IsBatonsOwn(string simpleName)
        => simpleName.Equals("Baton", StringComparison.OrdinalIgnoreCase) // assembly names ignore case, as the loader does
           || simpleName.Equals("Baton.Processes", StringComparison.OrdinalIgnoreCase)
           || simpleName.Equals("MessagePack", StringComparison.OrdinalIgnoreCase)
           || simpleName.Equals("MessagePack.Annotations", StringComparison.OrdinalIgnoreCase);

    private static string? SimpleName(string assemblyName)
    {
        try
        {
            return new AssemblyName(assemblyName).Name;
        }
        catch (Exception e) when (e is ArgumentException or FileLoadException)
        {
            return null;
        }
    }
}
