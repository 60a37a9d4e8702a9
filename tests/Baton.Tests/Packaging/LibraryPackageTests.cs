using System.IO.Compression;
using System.Text.RegularExpressions;
using Xunit;

namespace Baton.Tests.Packaging;

/// <summary>The library as a user gets it: a fresh console app that references the Baton package runs the README's example.</summary>
[Collection("packaging")]
public partial class LibraryPackageTests
{
    [Fact]
    public async Task FreshApp_ReferencingThePackage_RunsTheReadmeExample()
    {
        using var dotnet = new Dotnet();
        var feed = Path.Combine(dotnet.Root, "feed");
        await dotnet.PackAsync("src/Baton/Baton.csproj", feed);
        Assert.True(File.Exists(Path.Combine(feed, $"Baton.{dotnet.Version}.snupkg")), "the symbols package is missing");
        using (var package = ZipFile.OpenRead(Path.Combine(feed, $"Baton.{dotnet.Version}.nupkg")))
        {
            Nuspec.Read(package, "Baton", dotnet.Version);
            Assert.NotNull(package.GetEntry("lib/net10.0/Baton.dll"));
            Assert.NotNull(package.GetEntry("lib/net10.0/Baton.xml"));
        }

        // An app outside the checkout: only the local feed (plus the machine's usual sources, for the
        // package's own dependencies) and the user's view of the package.
        var app = Path.Combine(dotnet.Root, "app");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="baton-test" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Baton" Version="{dotnet.Version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample());

        dotnet.IsolatePackages = true;
        var output = await dotnet.RunOrFailAsync("dotnet", "run", "--project", app, "-c", "Release");
        Assert.Equal("hello\tworld", output.Trim());
    }

    /// <summary>The README's "Sockets in ten lines" code, so the example users copy is the one tested.</summary>
    internal static string ReadmeExample()
    {
        var readme = File.ReadAllText(Path.Combine(Dotnet.Checkout, "README.md"));
        var match = SocketsInTenLines().Match(readme);
        Assert.True(match.Success, "README.md lacks the csharp block under \"## Sockets in ten lines\"");
        return match.Groups["code"].Value;
    }

    [GeneratedRegex(@"## Sockets in ten lines\s+```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SocketsInTenLines();
}
