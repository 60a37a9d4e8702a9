using Baton.Tests.Packaging;
using Xunit;

namespace Baton.Processes.Tests.Children;

/// <summary>
/// A user's app, published framework-dependent, runs a ChildProcess with no change to its Main: through
/// its apphost and through "dotnet App.dll"; the child's console output reaches the parent's stdout.
/// </summary>
public sealed class PublishedAppTests : IDisposable
{
    private const string Program = """
        using Baton.Processes;

        await using var child = ChildProcess.Start(Work.Square, 6);
        Console.WriteLine($"result {await child.Result}");
        await child.JoinAsync();
        Console.WriteLine($"exit {child.ExitCode}");

        static class Work
        {
            public static int Square(int x)
            {
                Console.WriteLine($"child {Environment.ProcessId} says hello");
                return x * x;
            }
        }
        """;

    private readonly Dotnet dotnet = new();

    public void Dispose() => dotnet.Dispose();

    [Fact]
    public async Task PublishedApp_RunsAChild_WithoutMainChanges()
    {
        var root = dotnet.Root;
        var project = Path.Combine(root, "App");
        Directory.CreateDirectory(project);
        var library = Path.Combine(Dotnet.Checkout, "src", "Baton.Processes", "Baton.Processes.csproj");
        await File.WriteAllTextAsync(Path.Combine(project, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{library}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), Program);
        var output = Path.Combine(root, "out");
        var (code, stdout, stderr) = await dotnet.RunAsync("dotnet", "publish", Path.Combine(project, "App.csproj"), "-c", "Debug", "-o", output, "--artifacts-path", Path.Combine(root, "artifacts"), "-nologo");
        Assert.True(code == 0, $"publish failed:\n{stdout}\n{stderr}");

        foreach (var (program, arguments) in new[] { (Path.Combine(output, "App"), Array.Empty<string>()), ("dotnet", [Path.Combine(output, "App.dll")]) })
        {
            (code, stdout, stderr) = await dotnet.RunAsync(program, arguments);
            Assert.True(code == 0, $"{program} exited {code}:\n{stdout}\n{stderr}");
            Assert.Contains("result 36", stdout, StringComparison.Ordinal);
            Assert.Contains("says hello", stdout, StringComparison.Ordinal); // the child's output, in the parent's stdout
            Assert.Contains("exit 0", stdout, StringComparison.Ordinal);
        }
    }
}
