using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;

namespace Baton.Processes.Internal;

/// <summary>
/// The pool's side of code shipping: given an assembly name a worker asked for, the file of the assembly
/// this process has under that name, with its SHA-256. A name from the wire only ever selects among the
/// app's own assemblies (loaded, or loadable by name from the app's dependency list): it never becomes a
/// path. The shared framework and Baton's own assemblies are never shipped: the worker must have its own
/// (a self-contained app's copies of the framework are not recognised as such).
/// Files are read and hashed off the pool's loop, once per assembly.
/// </summary>
internal sealed class AssemblyShipper
{
    private static readonly string FrameworkFolder = SharedFrameworkFolder();

    private readonly ConcurrentDictionary<string, Task<Parcel>> _parcels = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>An assembly ready to ship, or why it will not be.</summary>
    /// <param name="Hash">SHA-256 of <paramref name="Bytes"/>.</param>
    /// <param name="Bytes">The assembly file.</param>
    /// <param name="Refusal">Why nothing is shipped; null when the parcel holds the assembly.</param>
    public readonly record struct Parcel(byte[] Hash, byte[] Bytes, string? Refusal);

    /// <summary>The parcel for <paramref name="assemblyName"/> (a full or simple name), read once and kept.</summary>
    public Task<Parcel> GetAsync(string assemblyName)
    {
        AssemblyName name;
        try
        {
            name = new AssemblyName(assemblyName);
        }
        catch (Exception e) when (e is ArgumentException or FileLoadException)
        {
            return Task.FromResult(Refused($"'{assemblyName}' is not an assembly name"));
        }

        if (name.Name is not { Length: > 0 } simple)
            return Task.FromResult(Refused($"'{assemblyName}' is not an assembly name"));
        if (_parcels.TryGetValue(simple, out var known))
            return known;
        return PackAsync(simple, name);
    }

    /// <summary>Packs off the caller's thread; keeps only what can be shipped, so names a worker makes up cost no memory.</summary>
    private async Task<Parcel> PackAsync(string simple, AssemblyName name)
    {
        var parcel = await Task.Run(() => Pack(name)).ConfigureAwait(false);
        if (parcel.Refusal is null)
            return await _parcels.GetOrAdd(simple, Task.FromResult(parcel)).ConfigureAwait(false);
        return parcel;
    }

    private static Parcel Pack(AssemblyName name)
    {
        var simple = name.Name!;
        if (ShippedAssemblyContext.IsBatonsOwn(simple))
            return Refused($"{simple} is part of Baton, which the worker must have itself (the same version as the pool's)");
        var assembly = Loaded(simple);
        if (assembly is null)
        {
            try
            {
                // The app's own dependency list (the default context's): a name, never a path.
                assembly = Assembly.Load(name);
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                return Refused($"the pool's app has no assembly named {simple}");
            }
        }

        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
            return Refused($"{simple} has no file in the pool's process (a dynamic assembly, or an app published as a single file), so there is nothing to ship");
        var location = Path.GetFullPath(assembly.Location);
        if (FrameworkFolder.Length > 0 && location.StartsWith(FrameworkFolder, StringComparison.Ordinal))
            return Refused($"{simple} is part of the .NET runtime: install the pool's runtime on the worker's machine");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(location);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refused($"the pool cannot read {simple}'s file ({e.GetType().Name})");
        }

        return new Parcel(SHA256.HashData(bytes), bytes, null);
    }

    private static Assembly? Loaded(string simpleName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && string.Equals(assembly.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
                return assembly;
        }

        return null;
    }

    private static Parcel Refused(string reason) => new([], [], reason);

    /// <summary>The folder holding the shared frameworks (…/dotnet/shared/), or empty when the runtime is not laid out that way (self-contained).</summary>
    private static string SharedFrameworkFolder()
    {
        var core = typeof(object).Assembly.Location;
        if (string.IsNullOrEmpty(core))
            return "";
        // …/shared/Microsoft.NETCore.App/10.0.x/System.Private.CoreLib.dll
        var version = Path.GetDirectoryName(Path.GetFullPath(core));
        var framework = version is null ? null : Path.GetDirectoryName(version);
        var shared = framework is null ? null : Path.GetDirectoryName(framework);
        return shared is not null && string.Equals(Path.GetFileName(shared), "shared", StringComparison.Ordinal)
            ? shared + Path.DirectorySeparatorChar
            : "";
    }
}
