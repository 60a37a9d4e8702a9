using Baton.Security;

namespace Baton.Tests.Cli;

/// <summary>
/// The key files of a CLI security test: a temp folder deleted with it, <see cref="Clients"/> inside it for
/// the public keys a <c>--curve-allow</c> lets in, and key pairs written where a test asks.
/// </summary>
internal sealed class CliKeyFolder : IDisposable
{
    private readonly DirectoryInfo _folder;

    public CliKeyFolder(string prefix)
    {
        _folder = Directory.CreateTempSubdirectory(prefix);
        Clients = System.IO.Path.Combine(_folder.FullName, "clients");
    }

    /// <summary>The folder's full path.</summary>
    public string Path => _folder.FullName;

    /// <summary>The folder given to <c>--curve-allow</c> (created by the first key written there).</summary>
    public string Clients { get; }

    /// <summary>A new key pair written as <paramref name="directory"/>/NAME.key and NAME.key_secret; the two paths.</summary>
    public static (string Public, string Secret) Keys(string name, string directory)
        => CurveKeyFiles.Write(directory, name, CurveKeyPair.Generate());

    public void Dispose() => _folder.Delete(recursive: true);
}
