using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary><c>baton titanic</c> as a process: usage errors in one line, a store it cannot use, signals, help.</summary>
public sealed class TitanicCliTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-titanic-cli-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Theory]
    [InlineData("missing --connect: the Majordomo broker's endpoint", "--store", "x")]
    [InlineData("missing --store: the folder for requests and replies", "--connect", "tcp://127.0.0.1:5555")]
    [InlineData("--timeout takes a number of seconds above 0, not 'soon'", "-c", "tcp://127.0.0.1:5555", "-s", "x", "--timeout", "soon")]
    [InlineData("give --verbose or --quiet, not both", "-c", "tcp://127.0.0.1:5555", "-s", "x", "-v", "-q")]
    public async Task UsageErrors_Exit2_WithOneLine(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["titanic", .. args]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("baton: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task StoreThatIsAFile_Exits1_NamingIt()
    {
        var file = Path.Combine(_folder.FullName, "not-a-folder");
        await File.WriteAllTextAsync(file, "");
        var (exit, _, stderr) = await CliProcess.RunAsync("titanic", "--connect", "tcp://127.0.0.1:5555", "--store", file);
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith($"baton: cannot use {file} as the store", line);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Signal_EndsTheServer_WithTheShellsExitCode(string signal, int exitCode)
    {
        var store = Path.Combine(_folder.FullName, "store");
        await using var titanic = CliProcess.Start("titanic", "--connect", $"ipc://{Path.Combine(_folder.FullName, "nobroker")}", "--store", store);
        Assert.StartsWith("titanic:", await titanic.ReadLineAsync());
        if (signal == "INT")
        {
            titanic.Interrupt();
        }
        else
        {
            titanic.Terminate();
        }

        Assert.Equal(exitCode, await titanic.WaitForExitAsync());
        Assert.True(Directory.Exists(store));
    }

    [Fact]
    public async Task Help_NamesTheServicesAndShowsExamples()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("titanic", "--help");
        Assert.True(exit == 0, stderr);
        Assert.Contains("titanic.request", stdout);
        Assert.Contains("--store <DIR>", stdout);
        Assert.Contains("Examples:", stdout);
    }
}
