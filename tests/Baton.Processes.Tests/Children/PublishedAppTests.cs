using System.Diagnostics;
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

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private readonly string root = Directory.CreateTempSubdirectory("baton-app-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying build server: the temp folder's owner cleans up eventually.
        }
    }

    [Fact]
    public async Task PublishedApp_RunsAChild_WithoutMainChanges()
    {
        var project = Path.Combine(root, "App");
        Directory.CreateDirectory(project);
        var library = Path.Combine(Checkout(), "src", "Baton.Processes", "Baton.Processes.csproj");
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
        var (code, stdout, stderr) = await RunAsync("dotnet", "publish", Path.Combine(project, "App.csproj"), "-c", "Debug", "-o", output, "--artifacts-path", Path.Combine(root, "artifacts"), "-nologo");
        Assert.True(code == 0, $"publish failed:\n{stdout}\n{stderr}");

        foreach (var (program, arguments) in new[] { (Path.Combine(output, "App"), Array.Empty<string>()), ("dotnet", [Path.Combine(output, "App.dll")]) })
        {
            (code, stdout, stderr) = await RunAsync(program, arguments);
            Assert.True(code == 0, $"{program} exited {code}:\n{stdout}\n{stderr}");
            Assert.Contains("result 36", stdout, StringComparison.Ordinal);
            Assert.Contains("says hello", stdout, StringComparison.Ordinal); // the child's output, in the parent's stdout
            Assert.Contains("exit 0", stdout, StringComparison.Ordinal);
        }
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        // No build servers (they would outlive the test and hold its pipes); SDK temp files in our folder.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(temp);
        info.Environment["TMPDIR"] = temp;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(BuildTimeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} ran longer than {BuildTimeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Checkout()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Baton.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Cannot find Baton.sln above " + AppContext.BaseDirectory);
    }
}
