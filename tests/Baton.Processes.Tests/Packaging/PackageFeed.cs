using Baton.Tests.Packaging;
using Xunit;

namespace Baton.Processes.Tests.Packaging;

/// <summary>
/// The Baton.Processes and Baton packages, packed once for the tests that use them (packing is the slow
/// part), into a feed in a temp folder that goes with the fixture.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime, IDisposable
{
    /// <summary>The dotnet CLI and the temp folder every test of the fixture works in.</summary>
    internal Dotnet Dotnet { get; } = new();

    /// <summary>The folder holding the packages (a local NuGet source).</summary>
    public string Folder => Path.Combine(Dotnet.Root, "feed");

    /// <summary>The version both packages carry (one no earlier run used).</summary>
    public string Version => Dotnet.Version;

    /// <summary>How long packing both took.</summary>
    public TimeSpan PackTime { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The library first: Baton is then built already (same artifacts folder) when its own package is made.
        await Dotnet.PackAsync("src/Baton.Processes/Baton.Processes.csproj", Folder);
        await Dotnet.PackAsync("src/Baton/Baton.csproj", Folder);
        PackTime = clock.Elapsed;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Dotnet.Dispose();
}
