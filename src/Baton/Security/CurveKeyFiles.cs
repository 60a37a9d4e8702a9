using System.Globalization;
using System.Text;

namespace Baton.Security;

/// <summary>
/// CURVE key files in the layout of pyzmq's zmq.auth (and CZMQ's zcert): <c>NAME.key</c> holds the public key
/// and may be handed out; <c>NAME.key_secret</c> holds both keys and stays with its owner (mode 0600 on Unix).
/// A folder of <c>*.key</c> files is the list of client keys a CURVE server lets in.
/// </summary>
/// <example>
/// <code>
/// var (publicFile, secretFile) = CurveKeyFiles.Write("keys", "server", CurveKeyPair.Generate());
/// var server = CurveKeyFiles.Read(secretFile);                      // SecretKey set
/// var allowed = CurveKeyFiles.ReadPublicKeys("keys/clients");        // every clients/*.key
/// </code>
/// </example>
public static class CurveKeyFiles
{
    /// <summary>The extension of a public-key file.</summary>
    public const string PublicExtension = ".key";

    /// <summary>The extension of a secret-key file.</summary>
    public const string SecretExtension = ".key_secret";

    private const string PublicKeyName = "public-key";
    private const string SecretKeyName = "secret-key";

    /// <summary>
    /// Writes <c>NAME.key</c> (the public key) and <c>NAME.key_secret</c> (both keys, and the
    /// <paramref name="metadata"/>, readable by its owner only) into <paramref name="directory"/>, which is
    /// created if missing. Existing files of that name are replaced, each at once (never half written).
    /// </summary>
    /// <returns>The paths of the public-key and secret-key files.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is empty or holds a path separator; <paramref name="keys"/> has no secret key;
    /// a metadata name is empty or holds '=', '#', white space or a line break, or a value holds a line break.
    /// </exception>
    /// <exception cref="IOException">The files cannot be written.</exception>
    public static (string PublicKeyFile, string SecretKeyFile) Write(string directory, string name, CurveKeyPair keys, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(keys);
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"A key file's NAME is a plain file name without a folder; got '{name}'.", nameof(name));
        }

        if (keys.SecretKeyZ85 is not { } secretKey)
        {
            throw new ArgumentException("The key pair has no secret key: a NAME.key_secret file needs one.", nameof(keys));
        }

        CheckMetadata(metadata);
        Directory.CreateDirectory(directory.Length == 0 ? "." : directory);
        var publicFile = Path.Combine(directory, name + PublicExtension);
        var secretFile = Path.Combine(directory, name + SecretExtension);
        var generated = DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

        var text = new StringBuilder();
        text.Append("#   ****  Generated on ").Append(generated).Append(" by Baton  ****\n")
            .Append("#   ZeroMQ CURVE Public Certificate\n")
            .Append("#   Give this file to the peers that must know this key; check that it arrived\n")
            .Append("#   unchanged. A CURVE server lets in the clients whose .key files are in its folder.\n\n")
            .Append("metadata\n")
            .Append("curve\n")
            .Append("    ").Append(PublicKeyName).Append(" = \"").Append(keys.PublicKeyZ85).Append("\"\n");
        WriteReplacing(publicFile, text.ToString(), secret: false);

        text.Clear();
        text.Append("#   ****  Generated on ").Append(generated).Append(" by Baton  ****\n")
            .Append("#   ZeroMQ CURVE **Secret** Certificate\n")
            .Append("#   Whoever holds this file can act as its owner: keep it to yourself, readable by you alone.\n\n")
            .Append("metadata\n");
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                text.Append("    ").Append(key).Append(" = ").Append(value).Append('\n');
            }
        }

        text.Append("curve\n")
            .Append("    ").Append(PublicKeyName).Append(" = \"").Append(keys.PublicKeyZ85).Append("\"\n")
            .Append("    ").Append(SecretKeyName).Append(" = \"").Append(secretKey).Append("\"\n");
        WriteReplacing(secretFile, text.ToString(), secret: true);
        return (publicFile, secretFile);
    }

    /// <summary>
    /// The keys in a public-key or secret-key file (read as pyzmq's zmq.auth.load_certificate does);
    /// <see cref="CurveKeyPair.SecretKey"/> is set when the file holds a secret key.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// The file has no public key, a key that is not 40 Z85 characters, a key given twice, or a secret key
    /// that does not belong to its public key; the message names the file and the line.
    /// </exception>
    public static CurveKeyPair Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? publicKey = null;
        string? secretKey = null;
        var publicLine = 0;
        var secretLine = 0;
        var section = "";
        var number = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                // A section name: "metadata" or "curve".
                section = line;
                continue;
            }

            var property = line[..equals].Trim();
            if (section == "metadata" || property is not (PublicKeyName or SecretKeyName))
            {
                // Metadata may hold any name, "public-key" included: it is not a key.
                continue;
            }

            // As zmq.auth: white space and quotes around the value are not part of it.
            var value = line[(equals + 1)..].Trim(' ', '\t', '"', '\'');
            if (property == PublicKeyName)
            {
                if (publicKey is not null)
                {
                    throw new InvalidDataException($"{path}: line {number}: a second public-key (the first is on line {publicLine}).");
                }

                (publicKey, publicLine) = (value, number);
            }
            else
            {
                if (secretKey is not null)
                {
                    throw new InvalidDataException($"{path}: line {number}: a second secret-key (the first is on line {secretLine}).");
                }

                (secretKey, secretLine) = (value, number);
            }
        }

        if (publicKey is null)
        {
            throw new InvalidDataException($"{path}: no public-key line: not a CURVE key file (NAME.key or NAME.key_secret, as zmq.auth writes them).");
        }

        var pair = CurveKeyPair.FromPublicKey(Key(path, publicLine, PublicKeyName, publicKey));
        if (secretKey is null)
        {
            return pair;
        }

        var withSecret = CurveKeyPair.FromSecretKey(Key(path, secretLine, SecretKeyName, secretKey));
        if (withSecret.PublicKeyZ85 != pair.PublicKeyZ85)
        {
            throw new InvalidDataException($"{path}: line {secretLine}: the secret-key does not belong to the public-key on line {publicLine}.");
        }

        return withSecret;
    }

    /// <summary>The public key in a public-key or secret-key file.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a key file, or its keys are malformed (see <see cref="Read"/>).</exception>
    public static byte[] ReadPublicKey(string path) => Read(path).PublicKey;

    /// <summary>
    /// The public keys of every <c>*.key</c> file in <paramref name="directory"/> (not its subfolders, nor hidden
    /// files), as pyzmq's zmq.auth.load_certificates reads them: the clients a CURVE server lets in.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">A <c>*.key</c> file in it is malformed; the message names it.</exception>
    public static IReadOnlyList<byte[]> ReadPublicKeys(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No folder of public-key files at '{directory}'.");
        }

        // Filtered by hand: the pattern "*.key" alone may also match ".key_secret" on some platforms' rules.
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var fileName = Path.GetFileName(file);
            if (fileName.EndsWith(PublicExtension, StringComparison.Ordinal) && fileName[0] != '.')
            {
                files.Add(file);
            }
        }

        files.Sort(StringComparer.Ordinal);
        var keys = new List<byte[]>(files.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var pair = Read(file);
            if (seen.Add(pair.PublicKeyZ85))
            {
                keys.Add(pair.PublicKey);
            }
        }

        return keys;
    }

    private static byte[] Key(string path, int line, string property, string value)
    {
        var which = property == PublicKeyName ? "public" : "secret";
        try
        {
            return CurveKeyPair.DecodeKey(value, which);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: line {line}: {e.Message}", e);
        }
    }

    private static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key) || key[0] == '#' || key.AsSpan().IndexOfAny("= \t\r\n") >= 0)
            {
                throw new ArgumentException($"A metadata name is a word without '=', white space or a leading '#'; got '{key}'.", nameof(metadata));
            }

            if (value is null || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException($"The metadata value of '{key}' must be one line of text.", nameof(metadata));
            }
        }
    }

    /// <summary>Writes a temporary file beside <paramref name="path"/> and moves it over: readers never see half a file.</summary>
    private static void WriteReplacing(string path, string text, bool secret)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created so from the start: the secret is never readable by others, not even for a moment.
            options.UnixCreateMode = secret
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
