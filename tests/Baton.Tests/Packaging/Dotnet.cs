using System.Diagnostics;
using Xunit;

namespace Baton.Tests.Packaging;

/// <summary>
/// Runs the dotnet CLI (pack, tool install, publish, run) as a child process for the packaging tests,
/// in a temp folder of its own that is deleted on dispose. Builds go to that folder's artifacts, never
/// to the checkout's bin/obj, which the other tests are using meanwhile.
/// </summary>
internal sealed class Dotnet : IDisposable
{
    /// <summary>Builds on a loaded 2-core machine take a while; a hang still fails the test.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    public Dotnet()
    {
        Directory.CreateDirectory(Root);
    }

    /// <summary>This test's temp folder.</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"baton-pack-{Guid.NewGuid():N}");

    /// <summary>Build output of everything this test builds (dotnet's --artifacts-path).</summary>
    public string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>
    /// A version no earlier run used: NuGet's caches key packages by id and version, so a fixed one could
    /// serve a package built from older code.
    /// </summary>
    public string Version { get; } = $"0.0.0-test.{Guid.NewGuid():N}";

    /// <summary>
    /// Restores go to this test's own packages folder (for what installs or consumes the test's packages),
    /// so the user's cache keeps no test builds; off for builds of the checkout, which reuse the cache
    /// (the AOT compiler alone is tens of MB).
    /// </summary>
    public bool IsolatePackages { get; set; }

    /// <summary>The PATH the programs run with (this process's unless set).</summary>
    public string? SearchPath { get; set; }

    /// <summary>The checkout: the folder that holds Baton.sln, above the test assembly.</summary>
    public static string Checkout
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Baton.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Cannot find Baton.sln above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Packs a project of the checkout into <paramref name="feed"/> with this test's version.</summary>
    public Task PackAsync(string project, string feed) =>
        RunOrFailAsync("dotnet", "pack", Path.Combine(Checkout, project), "-c", "Release", "-o", feed, "--artifacts-path", Artifacts, $"-p:Version={Version}", "-nologo");

    /// <summary>Runs a program to its end; fails the test if it exits non-zero. Returns its stdout.</summary>
    public async Task<string> RunOrFailAsync(string program, params string[] arguments)
    {
        var (exit, stdout, stderr) = await RunAsync(program, arguments);
        Assert.True(exit == 0, $"{program} {string.Join(' ', arguments)} exited {exit}:\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>Runs a program in <see cref="Root"/> to its end, killed after a timeout.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No build servers: one that outlived the build would hold our output pipes open, and linger.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        // The SDK leaves empty temporary folders behind: in ours, they go with it.
        var temp = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(temp);
        info.Environment["TMPDIR"] = temp;
        if (SearchPath is not null)
        {
            info.Environment["PATH"] = SearchPath;
        }

        if (IsolatePackages)
        {
            info.Environment["NUGET_PACKAGES"] = Path.Combine(Root, "packages");
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran longer than {s_timeout.TotalMinutes} minutes");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The bytes under a folder, as du counts the installed tool.</summary>
    public static long SizeOf(string folder)
    {
        long total = 0;
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            total += file.Length;
        }

        return total;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying child: the temp folder's owner cleans up eventually.
        }
    }
}
