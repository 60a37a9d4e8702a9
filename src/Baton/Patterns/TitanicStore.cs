using System.Buffers.Binary;
using System.Text;
using Baton.Messages;

namespace Baton.Patterns;

/// <summary>
/// Titanic's durable store (9/TSP): one folder, one file per request (<c>ID.request</c>: the service
/// name and the body) and per reply (<c>ID.reply</c>). Every write is flushed to the disk, with the
/// folder entry that names it, before the method returns; so a request whose id was handed out, and
/// a reply that was stored, survive a crash of the process or of the machine. The folder is the queue:
/// a request without a reply is pending.
/// </summary>
/// <remarks>
/// Ids are GUIDs written as 32 lowercase hexadecimal digits, as TSP asks. Methods are thread-safe as
/// far as the file system is: each file is written whole under a temporary name and renamed into place.
/// One store serves one Titanic server at a time: opening a store removes the temporary files of
/// writes in progress, which are another server's if two share the folder.
/// </remarks>
public sealed class TitanicStore
{
    private const string RequestSuffix = ".request";
    private const string ReplySuffix = ".reply";

    // "BTSP" then a version byte: a file from another program or a later version is refused by name.
    private static ReadOnlySpan<byte> Magic => "BTSP\u0001"u8;

    /// <summary>
    /// Opens the store in <paramref name="directory"/>, creating the folder if needed, and removes the
    /// temporary files a crash may have left (writes that were never acknowledged).
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="IOException">The folder cannot be created or read.</exception>
    public TitanicStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var leftover in System.IO.Directory.EnumerateFiles(Directory, "*" + DurableFiles.TemporarySuffix))
        {
            File.Delete(leftover);
        }
    }

    /// <summary>The store's folder, as a full path.</summary>
    public string Directory { get; }

    /// <summary>
    /// Stores a request durably and returns its new id. The message's first frame is the service
    /// name, the others the body (at least one frame in all); the message stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The message has no frames, or the service name is empty.</exception>
    /// <exception cref="IOException">The disk refused the write.</exception>
    public Guid StoreRequest(Message request)
    {
        if (request.Count == 0 || request.GetSpan(0).IsEmpty)
        {
            throw new ArgumentException("A Titanic request starts with the service name, which must not be empty.", nameof(request));
        }

        var id = Guid.NewGuid();
        Write(PathOf(id, RequestSuffix), request);
        return id;
    }

    /// <summary>Stores the reply to request <paramref name="id"/> durably (replacing one stored before); the message stays the caller's.</summary>
    /// <exception cref="IOException">The disk refused the write.</exception>
    public void StoreReply(Guid id, Message reply) => Write(PathOf(id, ReplySuffix), reply);

    /// <summary>True when request <paramref name="id"/> is stored and not closed.</summary>
    public bool HasRequest(Guid id) => File.Exists(PathOf(id, RequestSuffix));

    /// <summary>The stored request (service name, then body), or null when it is unknown or closed. The message is the caller's.</summary>
    /// <exception cref="InvalidDataException">The file is not a request this store wrote.</exception>
    public Message? ReadRequest(Guid id) => Read(PathOf(id, RequestSuffix));

    /// <summary>The stored reply, or null when there is none (yet). The message is the caller's.</summary>
    /// <exception cref="InvalidDataException">The file is not a reply this store wrote.</exception>
    public Message? ReadReply(Guid id) => Read(PathOf(id, ReplySuffix));

    /// <summary>
    /// Forgets request <paramref name="id"/> and its reply, durably; an unknown id is no error (TSP's
    /// titanic.close is idempotent). The request goes first: a crash half-way leaves at most a reply
    /// that nothing will execute again.
    /// </summary>
    public void Close(Guid id) => DurableFiles.Delete(Directory, PathOf(id, RequestSuffix), PathOf(id, ReplySuffix));

    /// <summary>The requests that have no reply yet, oldest first: what a dispatcher still owes its clients.</summary>
    public IReadOnlyList<Guid> PendingRequests()
    {
        var pending = new List<(DateTime Written, Guid Id)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + RequestSuffix))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (Guid.TryParseExact(name, "N", out var id) && !File.Exists(PathOf(id, ReplySuffix)))
            {
                pending.Add((File.GetLastWriteTimeUtc(path), id));
            }
        }

        pending.Sort();
        var ids = new Guid[pending.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = pending[i].Id;
        }

        return ids;
    }

    /// <summary>Parses an id as TSP carries it: 32 hexadecimal digits, either case; nothing else (no path can hide in it).</summary>
    public static bool TryParseId(ReadOnlySpan<byte> text, out Guid id)
    {
        id = default;
        if (text.Length != 32)
        {
            return false;
        }

        Span<char> chars = stackalloc char[32];
        for (var i = 0; i < 32; i++)
        {
            if (!char.IsAsciiHexDigit((char)text[i]))
            {
                return false;
            }

            chars[i] = (char)text[i];
        }

        return Guid.TryParseExact(chars, "N", out id);
    }

    /// <summary>An id as TSP carries it: 32 lowercase hexadecimal digits.</summary>
    public static string FormatId(Guid id) => id.ToString("N");

    private string PathOf(Guid id, string suffix) => Path.Combine(Directory, id.ToString("N") + suffix);

    private void Write(string path, Message message)
    {
        DurableFiles.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[4];
            file.Write(Magic);
            BinaryPrimitives.WriteInt32LittleEndian(length, message.Count);
            file.Write(length);
            for (var i = 0; i < message.Count; i++)
            {
                var frame = message.GetSpan(i);
                BinaryPrimitives.WriteInt32LittleEndian(length, frame.Length);
                file.Write(length);
                file.Write(frame);
            }
        });
    }

    private static Message? Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var at = Magic.Length;
        if (bytes.Length < at + 4 || !bytes.AsSpan(0, at).SequenceEqual(Magic))
        {
            throw Corrupt(path);
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        at += 4;
        if (count < 0)
        {
            throw Corrupt(path);
        }

        var message = new Message();
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - at < 4)
            {
                message.Dispose();
                throw Corrupt(path);
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            at += 4;
            if (length < 0 || bytes.Length - at < length)
            {
                message.Dispose();
                throw Corrupt(path);
            }

            message.Append(Frame.Copy(bytes.AsSpan(at, length)));
            at += length;
        }

        if (at != bytes.Length)
        {
            message.Dispose();
            throw Corrupt(path);
        }

        return message;
    }

    private static InvalidDataException Corrupt(string path) =>
        new($"{path} is not a Titanic request or reply this store wrote (wrong header or lengths).");

    /// <summary>The service name a stored request is for.</summary>
    internal static string ServiceOf(Message request) => Encoding.UTF8.GetString(request.GetSpan(0));
}
