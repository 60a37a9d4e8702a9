using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>A command line that cannot run exits 2 with one line in plain words; help shows what a shell user needs.</summary>
public sealed class CliUsageTests
{
    [Theory]
    [InlineData("--count takes a whole number of at least 1, not 'abc'", "send", "-t", "push", "-c", "tcp://127.0.0.1:5555", "--count", "abc", "x")]
    [InlineData("--count takes a whole number of at least 1, not '0'", "recv", "-t", "pull", "-b", "tcp://127.0.0.1:0", "-n", "0")]
    [InlineData("missing --type", "send", "--connect", "tcp://127.0.0.1:5555", "x")]
    [InlineData("unknown socket type 'STREAM'", "send", "--type", "STREAM", "--connect", "tcp://127.0.0.1:5555", "x")]
    [InlineData("exactly one of --bind and --connect (both given)", "recv", "-t", "pull", "-b", "tcp://127.0.0.1:0", "-c", "tcp://127.0.0.1:5555")]
    [InlineData("exactly one of --bind and --connect (neither given)", "send", "-t", "push", "x")]
    [InlineData("a PULL socket cannot send", "send", "-t", "pull", "-c", "tcp://127.0.0.1:5555", "x")]
    [InlineData("a PUB socket cannot receive", "recv", "-t", "pub", "-c", "tcp://127.0.0.1:5555")]
    [InlineData("--subscribe applies to SUB sockets only", "recv", "-t", "pull", "-c", "tcp://127.0.0.1:5555", "-s", "x")]
    [InlineData("unknown format 'yaml'", "recv", "-t", "pull", "-c", "tcp://127.0.0.1:5555", "--format", "yaml")]
    [InlineData("FRAME 1: 'zz' is not hexadecimal", "send", "-t", "push", "-c", "tcp://127.0.0.1:5555", "-f", "hex", "zz")]
    [InlineData("unknown option '--bogus' for 'baton send'", "send", "-t", "push", "-c", "tcp://127.0.0.1:5555", "--bogus", "hi")]
    [InlineData("unknown option '--bogus' for 'baton recv'", "recv", "-t", "pull", "-c", "tcp://127.0.0.1:5555", "--bogus")]
    [InlineData("unknown option '--conect' for 'baton recv'; did you mean '--connect'?", "recv", "-t", "pull", "--conect", "tcp://127.0.0.1:5555")]
    [InlineData("unknown command 'sned'; did you mean 'send'?", "sned", "-t", "push")]
    [InlineData("unexpected argument 'extra' for 'baton recv'", "recv", "-t", "pull", "-c", "tcp://127.0.0.1:5555", "extra")]
    [InlineData("no command given", new string[0])]
    [InlineData("--type needs a value", "send", "-t")]
    [InlineData("unknown socket type '-c'", "send", "-t", "-c", "tcp://127.0.0.1:5555", "x")]
    [InlineData("--subscribe needs a value", "recv", "-t", "sub", "-c", "tcp://127.0.0.1:5555", "--subscribe")]
    [InlineData("--connect needs a value", "recv", "-t", "pull", "--connect")]
    public async Task UsageErrors_Exit2_WithOneLineInPlainWords(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("baton: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public async Task DoubleDash_EndsOptions_SoFramesMayStartWithADash_AndAtIsNoResponseFile()
    {
        await using var pull = new PullSocket();
        var endpoint = pull.Bind(TestUtil.Endpoint("ipc"));
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--", "-x", "--bogus", "@alice");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["-x", "--bogus", "@alice"], (await pull.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task SendHelp_ShowsAliasesTypesDefaultsAndExamples()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("send", "--help");
        Assert.True(exit == 0, stderr);
        Assert.Contains("baton send [<FRAME>...] [options]", stdout);
        Assert.Contains("-t, --type <TYPE>", stdout);
        Assert.Contains("PUSH, PULL", stdout);
        Assert.Contains("-b, --bind", stdout);
        Assert.Contains("-c, --connect", stdout);
        Assert.Contains("-n, --count <N>", stdout);
        Assert.Contains("[default: 1]", stdout);
        Assert.Contains("-f, --format <text|hex|base64|json>", stdout);
        Assert.Contains("[default: text]", stdout);
        Assert.Contains("Examples:", stdout);
        Assert.Contains("baton send -t push -c tcp://127.0.0.1:5555 hello world", stdout);
        Assert.DoesNotContain("/?", stdout);
    }
}
