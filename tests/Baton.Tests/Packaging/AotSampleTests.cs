using System.Runtime.InteropServices;
using Xunit;

namespace Baton.Tests.Packaging;

/// <summary>The library under Native AOT: samples/AotSample (the README's example) publishes without warnings and runs.</summary>
[Collection("packaging")]
public class AotSampleTests
{
    [Fact]
    public void Sample_IsTheReadmeExample()
    {
        var sample = File.ReadAllText(Path.Combine(Dotnet.Checkout, "samples", "AotSample", "Program.cs"));
        Assert.Equal(LibraryPackageTests.ReadmeExample().ReplaceLineEndings(), sample.ReplaceLineEndings());
    }

    [Fact]
    public async Task Sample_PublishedWithNativeAot_Runs()
    {
        // The native toolchain targets the machine it runs on; CI is linux-x64.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return;
        }

        using var dotnet = new Dotnet();
        var output = Path.Combine(dotnet.Root, "out");
        // Warnings are errors in the sample, so a trim or AOT warning from the library fails this publish.
        await dotnet.RunOrFailAsync("dotnet", "publish", Path.Combine(Dotnet.Checkout, "samples", "AotSample", "AotSample.csproj"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "--artifacts-path", dotnet.Artifacts, "-nologo");
        Assert.Equal("hello\tworld", (await dotnet.RunOrFailAsync(Path.Combine(output, "AotSample"))).Trim());
    }
}
