using Baton.Security;
using Xunit;

namespace Baton.Tests.Security;

public sealed class CurveKeyFilesTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-keys-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Write_ThenRead_GivesTheKeysBack_TheSecretFileReadableByItsOwnerOnly()
    {
        var keys = CurveKeyPair.Generate();
        var directory = Path.Combine(_folder.FullName, "new", "folder");
        var (publicFile, secretFile) = CurveKeyFiles.Write(directory, "server", keys, new Dictionary<string, string> { ["owner"] = "ops team" });
        Assert.Equal(Path.Combine(directory, "server.key"), publicFile);
        Assert.Equal(Path.Combine(directory, "server.key_secret"), secretFile);

        var fromPublic = CurveKeyFiles.Read(publicFile);
        Assert.False(fromPublic.HasSecretKey);
        Assert.Equal(keys.PublicKey, fromPublic.PublicKey);
        Assert.Equal(keys.PublicKey, CurveKeyFiles.ReadPublicKey(publicFile));

        var fromSecret = CurveKeyFiles.Read(secretFile);
        Assert.Equal(keys.SecretKey, fromSecret.SecretKey);
        Assert.Equal(keys.PublicKey, fromSecret.PublicKey);
        Assert.Equal(keys.PublicKey, CurveKeyFiles.ReadPublicKey(secretFile));

        Assert.DoesNotContain(keys.SecretKeyZ85!, File.ReadAllText(publicFile), StringComparison.Ordinal);
        Assert.Contains("    owner = ops team\n", File.ReadAllText(secretFile), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        }
    }

    [Fact]
    public void Write_ReplacesExistingFiles_AndASecretFileStaysPrivate()
    {
        var first = CurveKeyPair.Generate();
        var (_, secretFile) = CurveKeyFiles.Write(_folder.FullName, "k", first);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        }

        var second = CurveKeyPair.Generate();
        CurveKeyFiles.Write(_folder.FullName, "k", second);
        Assert.Equal(second.SecretKey, CurveKeyFiles.Read(secretFile).SecretKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        }
    }

    [Fact]
    public void Write_RefusesWhatWouldMakeABadFile()
    {
        var keys = CurveKeyPair.Generate();
        Assert.Throws<ArgumentException>(() => CurveKeyFiles.Write(_folder.FullName, "a/b", keys));
        Assert.Throws<ArgumentException>(() => CurveKeyFiles.Write(_folder.FullName, "", keys));
        Assert.Contains("no secret key", Assert.Throws<ArgumentException>(() => CurveKeyFiles.Write(_folder.FullName, "p", CurveKeyPair.FromPublicKey(keys.PublicKey))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CurveKeyFiles.Write(_folder.FullName, "m", keys, new Dictionary<string, string> { ["a b"] = "c" }));
        Assert.Throws<ArgumentException>(() => CurveKeyFiles.Write(_folder.FullName, "m", keys, new Dictionary<string, string> { ["a"] = "c\nsecret-key = x" }));
        Assert.Empty(_folder.GetFiles());
    }

    [Theory]
    [InlineData("curve\n", "no public-key line")]
    [InlineData("curve\n    public-key = \"abc\"\n", "line 2: A CURVE public key in Z85 is 40 characters; got 3")]
    [InlineData("curve\n    public-key = \"HelloWorldHelloWorldHelloWorldHello Worl\"\n", "line 2: The CURVE public key is not valid Z85: ' ' at position 35")]
    [InlineData("curve\n    public-key = \"{0}\"\n    public-key = \"{0}\"\n", "line 3: a second public-key (the first is on line 2)")]
    [InlineData("curve\n    public-key = \"{0}\"\n    secret-key = \"{1}\"\n", "line 3: the secret-key does not belong to the public-key on line 2")]
    [InlineData("metadata\n    public-key = \"{0}\"\n", "no public-key line")]
    public void Read_NamesTheFileAndTheProblem(string content, string problem)
    {
        var path = Path.Combine(_folder.FullName, "bad.key");
        File.WriteAllText(path, string.Format(System.Globalization.CultureInfo.InvariantCulture, content, CurveKeyPair.Generate().PublicKeyZ85, CurveKeyPair.Generate().SecretKeyZ85));
        var e = Assert.Throws<InvalidDataException>(() => CurveKeyFiles.Read(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);

        var inFolder = Assert.Throws<InvalidDataException>(() => CurveKeyFiles.ReadPublicKeys(_folder.FullName));
        Assert.Contains(path, inFolder.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AcceptsWhatZmqAuthAccepts_UnquotedSingleQuotedAndUnindented()
    {
        var keys = CurveKeyPair.Generate();
        var path = Path.Combine(_folder.FullName, "loose.key_secret");
        File.WriteAllText(path, $"# comment\r\npublic-key='{keys.PublicKeyZ85}'\r\n\tsecret-key =  {keys.SecretKeyZ85}  \r\n");
        Assert.Equal(keys.SecretKey, CurveKeyFiles.Read(path).SecretKey);
        Assert.Throws<FileNotFoundException>(() => CurveKeyFiles.Read(Path.Combine(_folder.FullName, "missing.key")));
        Assert.Throws<DirectoryNotFoundException>(() => CurveKeyFiles.ReadPublicKeys(Path.Combine(_folder.FullName, "missing")));
    }

    [Fact]
    public async Task PyzmqLoadCertificate_ReadsTheFilesBatonWrites()
    {
        var keys = CurveKeyPair.Generate();
        var (publicFile, secretFile) = CurveKeyFiles.Write(_folder.FullName, "baton", keys, new Dictionary<string, string> { ["name"] = "baton" });
        var output = await PythonScript.RunAsync(
            "import sys\nimport zmq.auth as a\nfor f in sys.argv[1:]:\n    p, s = a.load_certificate(f)\n    print(p.decode(), s.decode() if s else None)\nprint(len(a.load_certificates(sys.argv[1].rsplit('/', 1)[0])))",
            publicFile, secretFile);
        var lines = output.Split('\n');
        Assert.Equal($"{keys.PublicKeyZ85} None", lines[0]);
        Assert.Equal($"{keys.PublicKeyZ85} {keys.SecretKeyZ85}", lines[1]);
        Assert.Equal("1", lines[2]);
    }

    [Fact]
    public async Task Baton_ReadsTheFilesPyzmqCreateCertificatesWrites_AndTheSameKeysAsLoadCertificates()
    {
        var output = await PythonScript.RunAsync(
            "import sys\nimport zmq.auth as a\nfor n in ('alice', 'bob'):\n    pub, sec = a.create_certificates(sys.argv[1], n, metadata={'who': n})\n    p, s = a.load_certificate(sec)\n    print(p.decode(), s.decode())\nprint(' '.join(sorted(k.decode() for k in a.load_certificates(sys.argv[1]))))",
            _folder.FullName);
        var lines = output.Split('\n');
        string[] names = ["alice", "bob"];
        for (var i = 0; i < names.Length; i++)
        {
            var expected = lines[i].Split(' ');
            var secret = CurveKeyFiles.Read(Path.Combine(_folder.FullName, names[i] + ".key_secret"));
            Assert.Equal(expected[0], secret.PublicKeyZ85);
            Assert.Equal(expected[1], secret.SecretKeyZ85);
            var pub = CurveKeyFiles.Read(Path.Combine(_folder.FullName, names[i] + ".key"));
            Assert.Equal(expected[0], pub.PublicKeyZ85);
            Assert.False(pub.HasSecretKey);
        }

        // Neither a hidden file nor anything but *.key counts, as with load_certificates.
        File.WriteAllText(Path.Combine(_folder.FullName, ".hidden.key"), "not a key file");
        File.WriteAllText(Path.Combine(_folder.FullName, "notes.txt"), "not a key file");
        var all = new List<string>();
        foreach (var key in CurveKeyFiles.ReadPublicKeys(_folder.FullName))
        {
            all.Add(Z85.Encode(key));
        }

        all.Sort(StringComparer.Ordinal);
        Assert.Equal(lines[2], string.Join(' ', all));
    }
}
