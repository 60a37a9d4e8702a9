using Baton.Security;
using Baton.Tests.Security;
using Xunit;

namespace Baton.Tests.Cli;

public sealed class KeygenCliTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-keygen-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Keygen_WritesFilesPyzmqReads_AndPrintsThePublicKeyLast()
    {
        var dir = Path.Combine(_folder.FullName, "keys", "server");
        var (exit, stdout, stderr) = await CliProcess.RunAsync("keygen", "alice", "--dir", dir);
        Assert.True(exit == 0, stderr);
        var printed = stdout.TrimEnd('\n').Split('\n')[^1];
        Assert.Equal(40, printed.Length);

        var secretFile = Path.Combine(dir, "alice.key_secret");
        var keys = CurveKeyFiles.Read(secretFile);
        Assert.Equal(printed, keys.PublicKeyZ85);
        Assert.Equal(printed, CurveKeyFiles.Read(Path.Combine(dir, "alice.key")).PublicKeyZ85);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        }

        var loaded = await PythonScript.RunAsync(
            "import sys\nimport zmq, zmq.auth as a\np, s = a.load_certificate(sys.argv[1])\nprint(p.decode(), zmq.curve_public(s).decode())\nprint(a.load_certificate(sys.argv[2])[0].decode())",
            secretFile, Path.Combine(dir, "alice.key"));
        Assert.Equal($"{printed} {printed}\n{printed}", loaded);
    }

    [Fact]
    public async Task Keygen_WritesInTheCurrentFolderByDefault_AndRefusesToOverwriteWithoutForce()
    {
        var (exit, stdout, stderr) = await CliProcess.RunInAsync(_folder.FullName, "keygen", "bob");
        Assert.True(exit == 0, stderr);
        var first = stdout.TrimEnd('\n').Split('\n')[^1];
        Assert.Equal(first, CurveKeyFiles.Read(Path.Combine(_folder.FullName, "bob.key_secret")).PublicKeyZ85);

        (exit, stdout, stderr) = await CliProcess.RunInAsync(_folder.FullName, "keygen", "bob");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("bob.key already exists", stderr, StringComparison.Ordinal);
        Assert.Contains("--force", stderr, StringComparison.Ordinal);
        Assert.Equal(first, CurveKeyFiles.Read(Path.Combine(_folder.FullName, "bob.key_secret")).PublicKeyZ85);

        // Only the secret file left: still refused.
        File.Delete(Path.Combine(_folder.FullName, "bob.key"));
        (exit, _, stderr) = await CliProcess.RunInAsync(_folder.FullName, "keygen", "bob");
        Assert.Equal(1, exit);
        Assert.Contains("bob.key_secret already exists", stderr, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliProcess.RunInAsync(_folder.FullName, "keygen", "bob", "--force");
        Assert.True(exit == 0, stderr);
        var second = stdout.TrimEnd('\n').Split('\n')[^1];
        Assert.NotEqual(first, second);
        Assert.Equal(second, CurveKeyFiles.Read(Path.Combine(_folder.FullName, "bob.key")).PublicKeyZ85);
    }

    [Theory]
    [InlineData("a/b", "NAME is a plain file name")]
    [InlineData("..", "NAME is a plain file name")]
    public async Task Keygen_RefusesANameWithAFolder(string name, string message)
    {
        var (exit, _, stderr) = await CliProcess.RunInAsync(_folder.FullName, "keygen", name);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Empty(_folder.GetFileSystemInfos());
    }
}
