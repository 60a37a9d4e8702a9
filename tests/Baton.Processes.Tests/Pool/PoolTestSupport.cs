using System.Globalization;

namespace Baton.Processes.Tests.Pool;

/// <summary>Shared helpers: a temp folder per test, and waits on signals (files a task writes) with a generous timeout.</summary>
internal sealed class PoolTestFolder : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public PoolTestFolder() => Path = Directory.CreateTempSubdirectory("baton-pool-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Waits for a task to say it started (it writes its pid to the file) and returns the pid.</summary>
    public static async Task<int> WaitForStartAsync(string file)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!System.IO.File.Exists(file))
            await Task.Delay(20, timeout.Token);
        return int.Parse(await System.IO.File.ReadAllTextAsync(file, timeout.Token), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
