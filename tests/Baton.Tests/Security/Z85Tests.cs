using Baton.Security;
using Xunit;

namespace Baton.Tests.Security;

public sealed class Z85Tests
{
    [Fact]
    public void EncodesAndDecodes_TheRfcExample()
    {
        // RFC 32's test vector.
        byte[] bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        Assert.Equal("HelloWorld", Z85.Encode(bytes));
        Assert.Equal(bytes, Z85.Decode("HelloWorld"));
        Assert.Equal("", Z85.Encode([]));
        Assert.Empty(Z85.Decode(""));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], Z85.Decode("%nSc0"));
    }

    [Fact]
    public void Encode_RefusesALengthThatIsNotAMultipleOf4()
    {
        var e = Assert.Throws<ArgumentException>(() => Z85.Encode(new byte[5]));
        Assert.Contains("multiple of 4", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hello", null)]
    [InlineData("Hell", "multiple of 5")]
    [InlineData("Hello Worl", "' ' at position 5")]
    [InlineData("Hell\"", "'\"' at position 4")]
    [InlineData("Hello\u00e9orld", "U+00E9 at position 5")]
    [InlineData("Hello%nSc1", "group of 5 characters at position 5")]
    public void Decode_NamesTheProblem(string text, string? problem)
    {
        if (problem is null)
        {
            Assert.Equal(4, Z85.Decode(text).Length);
            return;
        }

        var e = Assert.Throws<FormatException>(() => Z85.Decode(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);

        // The text may be a secret key: a message that reaches a log names positions, never a run of its characters.
        Assert.DoesNotContain("%nSc1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgreesWithPyzmq_BothWays()
    {
        var ours = new byte[64];
        Random.Shared.NextBytes(ours);
        var theirs = await PythonScript.RunAsync(
            "import sys, os\nfrom zmq.utils import z85\nprint(z85.decode(sys.argv[1].encode()).hex())\nb = os.urandom(64)\nprint(b.hex())\nprint(z85.encode(b).decode())",
            Z85.Encode(ours));
        var lines = theirs.Split('\n');
        Assert.Equal(Convert.ToHexStringLower(ours), lines[0]);
        Assert.Equal(Convert.FromHexString(lines[1]), Z85.Decode(lines[2]));
        Assert.Equal(lines[2], Z85.Encode(Convert.FromHexString(lines[1])));
    }
}
