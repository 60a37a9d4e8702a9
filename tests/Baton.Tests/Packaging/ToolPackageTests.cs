using System.IO.Compression;
using System.Runtime.InteropServices;
using Xunit;

namespace Baton.Tests.Packaging;

/// <summary>The baton tool as a user gets it: packed, installed with dotnet tool install, run by its command name.</summary>
[Collection("packaging")]
public class ToolPackageTests
{
    [Fact]
    public async Task InstalledTool_IsCalledBaton_ListsSendAndRecv_AndStaysSmall()
    {
        using var dotnet = new Dotnet();
        var feed = Path.Combine(dotnet.Root, "feed");
        await dotnet.PackAsync("src/Baton.Cli/Baton.Cli.csproj", feed);
        Assert.True(File.Exists(Path.Combine(feed, $"Baton.Tool.{dotnet.Version}.snupkg")), "the symbols package is missing");
        using (var package = ZipFile.OpenRead(Path.Combine(feed, $"Baton.Tool.{dotnet.Version}.nupkg")))
        {
            var nuspec = Nuspec.Read(package, "Baton.Tool", dotnet.Version);
            Assert.Equal("DotnetTool", nuspec.Descendants(nuspec.Name.Namespace + "packageType").Single().Attribute("name")?.Value);
            Assert.DoesNotContain(package.Entries, e => e.FullName.Contains("NetMQ", StringComparison.OrdinalIgnoreCase) || e.FullName.Contains("ScottPlot", StringComparison.OrdinalIgnoreCase) || e.FullName.Contains("Skia", StringComparison.OrdinalIgnoreCase));
        }

        var tools = Path.Combine(dotnet.Root, "tools");
        dotnet.IsolatePackages = true;
        await dotnet.RunOrFailAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", feed, "Baton.Tool", "--version", dotnet.Version);

        var baton = Path.Combine(tools, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "baton.exe" : "baton");
        var help = await dotnet.RunOrFailAsync(baton, "--help");
        Assert.Contains("baton [command] [options]", help);
        Assert.DoesNotContain("Baton.Cli", help);
        Assert.Contains("  send ", help);
        Assert.Contains("  recv ", help);

        // bench is a pointer to baton-bench, a program of its own: it says so, or runs baton-bench when on PATH.
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        dotnet.SearchPath = string.Join(Path.PathSeparator, path.Split(Path.PathSeparator).Where(folder => !File.Exists(Path.Combine(folder, "baton-bench"))));
        var (exit, _, stderr) = await dotnet.RunAsync(baton, "bench", "throughput");
        Assert.Equal(1, exit);
        Assert.Contains("baton-bench", stderr);
        Assert.Contains("./baton bench", stderr);

        dotnet.SearchPath = Path.Combine(Dotnet.Checkout, "bench", "Baton.Bench.Cli", "bin", "Release", "net10.0") + Path.PathSeparator + path;
        var json = await dotnet.RunOrFailAsync(baton, "bench", "throughput", "--transport", "inproc", "--count", "1000", "--rounds", "1", "--peer", "baton", "--json");
        Assert.Contains("\"peer\": \"baton\"", json);

        // The benchmark's peers (NetMQ, libzmq, ScottPlot with native Skia) stay out of what users install.
        // What it does carry: libsodium's native builds (CURVE) for Linux, macOS and Windows, about 8 MB
        // counted twice (the package kept beside its extracted files); the phone and TV builds are left out.
        var installed = Dotnet.SizeOf(tools);
        Assert.True(installed < 22 * 1024 * 1024, $"the installed tool takes {installed / 1024 / 1024} MB");
    }
}
