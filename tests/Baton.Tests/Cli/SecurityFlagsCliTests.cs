using Baton.Security;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>The security flags' usage errors: each found before any socket opens, exit code 2, in plain words.</summary>
public sealed class SecurityFlagsCliTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-secflags-");
    private readonly string _secret;
    private readonly string _public;

    public SecurityFlagsCliTests()
    {
        (_public, _secret) = CurveKeyFiles.Write(_folder.FullName, "k", CurveKeyPair.Generate());
    }

    public void Dispose() => _folder.Delete(recursive: true);

    public static TheoryData<string[], string> Cases => new()
    {
        { ["--curve-server", "{dir}/missing.key_secret"], "--curve-server: no key file '{dir}/missing.key_secret' (make one with 'baton keygen NAME')" },
        { ["--curve-server", "{public}"], "--curve-server: {public} holds a public key only; give the secret-key file (NAME.key_secret) (try {public}_secret)" },
        { ["--curve-server", "{dir}/bad.key_secret"], "--curve-server: {dir}/bad.key_secret: no public-key line" },
        { ["--curve-server", "{secret}", "--curve-allow", "{dir}/nowhere"], "--curve-allow: no folder '{dir}/nowhere'" },
        { ["--curve-allow", "{dir}"], "--curve-allow goes with --curve-server" },
        { ["--curve-client", "{secret}"], "--curve-client needs --curve-serverkey" },
        { ["--curve-serverkey", "{public}"], "--curve-serverkey goes with --curve-client" },
        { ["--curve-client", "{secret}", "--curve-serverkey", "tooshort"], "--curve-serverkey: 'tooshort' is neither a public key (40 Z85 characters) nor a key file" },
        { ["--curve-client", "{secret}", "--curve-serverkey", "0123456789012345678901234567890123456 89"], "--curve-serverkey: The CURVE public key is not valid Z85: ' ' at position 37" },
        { ["--plain", "alice:pw", "--curve-client", "{secret}", "--curve-serverkey", "{public}"], "give --curve-client or --plain, not both" },
        { ["--plain-allow", "alice:pw", "--curve-server", "{secret}"], "give --curve-server or --plain-allow, not both" },
        { ["--plain", "alice:pw", "--curve-server", "{secret}"], "give --curve-server or --plain, not both: the socket is the server or the client of its mechanism" },
        { ["--plain", "alice"], "--plain takes USER:PASS" },
        { ["--plain-allow", "alice:pw", "--plain-allow", ":pw"], "--plain-allow takes USER:PASS (a user name, a colon, then the password); the user name is empty" },
        { ["--curve-server"], "--curve-server needs a value" },
        { ["--plain-allow", "alice:a", "--plain-allow", "alice:b"], "--plain-allow: user 'alice' given twice; one password per user" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Recv_RefusesSecurityFlagsThatCannotWork(string[] flags, string message)
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "bad.key_secret"), "curve\n");
        string[] args = ["recv", "-t", "pull", "-b", "tcp://127.0.0.1:0", .. Array.ConvertAll(flags, Expand)];
        var (exit, stdout, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(Expand(message), stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_WantsServerFlagsOnlyWhereItBinds_AndClientFlagsOnlyWhereItConnects()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("proxy", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", "PUSH@tcp://127.0.0.1:0", "--plain", "a:b");
        Assert.Equal(2, exit);
        Assert.Contains("--plain applies to the sockets the proxy connects (TYPE>ENDPOINT), and it connects none", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = await CliProcess.RunAsync("proxy", "--frontend", "PULL>tcp://127.0.0.1:1", "--backend", "PUSH>tcp://127.0.0.1:2", "--curve-server", _secret);
        Assert.Equal(2, exit);
        Assert.Contains("--curve-server applies to the sockets the proxy binds (TYPE@ENDPOINT), and it binds none", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("send")]
    [InlineData("recv")]
    [InlineData("proxy")]
    [InlineData("broker")]
    public async Task Help_ListsTheSecurityFlags(string command)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync(command, "--help");
        Assert.Equal(0, exit);
        foreach (var flag in (string[])["--curve-server", "--curve-allow", "--curve-client", "--curve-serverkey", "--plain ", "--plain-allow"])
        {
            Assert.Contains(flag, stdout, StringComparison.Ordinal);
        }
    }

    private string Expand(string text) => text.Replace("{dir}", _folder.FullName, StringComparison.Ordinal)
        .Replace("{public}", _public, StringComparison.Ordinal)
        .Replace("{secret}", _secret, StringComparison.Ordinal);
}
