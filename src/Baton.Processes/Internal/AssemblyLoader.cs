using System.Reflection;
using System.Runtime.Loader;

namespace Baton.Processes.Internal;

/// <summary>Loads the app's assemblies into a remote worker (<c>--load PATH</c>), and their dependencies from the same folders.</summary>
internal static class AssemblyLoader
{
    private static readonly List<string> Folders = [];

    public static void Load(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
            return;
        lock (Folders)
        {
            if (Folders.Count == 0)
                AssemblyLoadContext.Default.Resolving += Resolve;
            foreach (var path in paths)
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
                if (!Folders.Contains(folder))
                    Folders.Add(folder);
            }
        }

        foreach (var path in paths)
            AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
    }

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        string[] folders;
        lock (Folders)
            folders = [.. Folders];
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, name.Name + ".dll");
            if (File.Exists(candidate))
                return context.LoadFromAssemblyPath(candidate);
        }

        return null;
    }
}
