using System.Net.Sockets;
using System.Runtime.InteropServices;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>
/// The file an ipc listener binds: who may take a path over, and when closing may remove it.
/// A path held by a live listener is refused; a file left by a process that died is taken over
/// (a connect probe tells the two apart); and a listener removes only the very file it created,
/// so a listener that lost its path to another never deletes the newcomer's file.
/// </summary>
internal static partial class IpcPath
{
    /// <summary>
    /// Binds <paramref name="listener"/> to <paramref name="path"/> and makes it listen, taking over a
    /// stale file there; returns what identifies the file bound, or null where the system cannot tell.
    /// </summary>
    /// <remarks>
    /// The socket is bound at a temporary name beside the path and renamed into place, for two reasons:
    /// the rename refuses to replace a file, so two binds racing for a path cannot both win; and .NET
    /// deletes the path a Unix socket was bound to when the socket is disposed, which must not hit a
    /// file that another listener put at the path after ours was removed.
    /// </remarks>
    /// <exception cref="EndpointInUseException">A live listener accepts connections at the path.</exception>
    public static FileIdentity? BindAndListen(NetSocket listener, string path, string endpoint)
    {
        var temporary = TemporaryName(path);
        if (temporary is null)
        {
            // No room for a temporary name within the 107 bytes of sun_path (or Windows): bind the path itself.
            Claim(path, endpoint);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            return Stat(path);
        }

        listener.Bind(new UnixDomainSocketEndPoint(temporary));

        // Listening before the file appears at the path: a prober never sees it refuse connections.
        listener.Listen();
        for (var attempt = 0; ; attempt++)
        {
            Claim(path, endpoint);
            try
            {
                File.Move(temporary, path, overwrite: false);
                return Stat(path);
            }
            catch (IOException) when (attempt < 3 && Exists(path))
            {
                // Another bind put a file there since the claim: probe that one too.
            }
            catch (Exception e)
            {
                TryDelete(temporary);
                if (e is IOException && Exists(path))
                {
                    // Something we may not remove holds the path, as a direct bind would report it.
                    throw new EndpointInUseException(endpoint, e);
                }

                throw;
            }
        }
    }

    /// <summary>Frees <paramref name="path"/> for a bind: removes a stale file, refuses one a live listener holds.</summary>
    private static void Claim(string path, string endpoint)
    {
        if (!Exists(path))
        {
            return;
        }

        switch (Probe(path))
        {
            case ProbeResult.Live:
                throw new EndpointInUseException(endpoint);
            case ProbeResult.Stale:
                // Nobody listens: a socket file (or any file) left by a process that died without closing.
                File.Delete(path);
                break;
            default:
                // Unknown (no permission to connect, say): leave it, and let the bind report what it finds.
                break;
        }
    }

    /// <summary>A fresh name in the path's folder (a rename cannot cross file systems), or null if too long.</summary>
    private static string? TemporaryName(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows' AF_UNIX files are reparse points; the rename is only relied on where sockets are plain inodes.
            return null;
        }

        var name = Path.Combine(Path.GetDirectoryName(path) ?? "", $".baton-{Random.Shared.Next():x8}");
        return System.Text.Encoding.UTF8.GetByteCount(name) <= MaxPath ? name : null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Removes <paramref name="path"/> if it is still the file <paramref name="ours"/> identifies; a
    /// file that replaced ours belongs to someone else and stays. Call after the listener is closed.
    /// </summary>
    public static void Release(string path, FileIdentity? ours)
    {
        try
        {
            if (ours is { } identity)
            {
                if (Stat(path) == identity)
                {
                    File.Delete(path);
                }

                return;
            }

            // No file identity on this system: our listener is closed, so a path that still accepts
            // connections is another listener's.
            if (Exists(path) && Probe(path) == ProbeResult.Stale)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort, as in libzmq: a file we cannot remove is stale and the next bind takes it over.
        }
    }

    private static bool Exists(string path) => Stat(path) is not null || File.Exists(path);

    private enum ProbeResult
    {
        Live,
        Stale,
        Unknown,
    }

    /// <summary>Connects to the path: accepted (or a full backlog) means a live listener; refused means nobody listens.</summary>
    /// <remarks>A live listener sees one connection that closes before its handshake.</remarks>
    private static ProbeResult Probe(string path)
    {
        using var probe = new NetSocket(AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, ProtocolType.Unspecified);
        probe.Blocking = false;
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return ProbeResult.Live;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                // A Unix stream connect completes at once; pending means the backlog is full: someone listens.
                SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress => ProbeResult.Live,

                // ECONNREFUSED: a socket file without a listener, or not a socket at all. ENOENT: gone meanwhile.
                SocketError.ConnectionRefused or SocketError.AddressNotAvailable => ProbeResult.Stale,
                _ => ProbeResult.Unknown,
            };
        }
    }

    /// <summary>Device, inode and birth (or change) time: an inode number may be reused, not with the same time.</summary>
    public readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode, long Seconds, uint Nanoseconds);

    private static volatile bool s_statxMissing;

    private static unsafe FileIdentity? Stat(string path)
    {
        if (!OperatingSystem.IsLinux() || s_statxMissing)
        {
            return null;
        }

        // struct statx is fixed by the kernel ABI on every architecture (include/uapi/linux/stat.h),
        // unlike struct stat, so one layout serves x64, arm64 and the rest.
        var buffer = stackalloc byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxIno | StatxBirthTime | StatxChangeTime, buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // glibc before 2.28 or another libc without statx: fall back to the connect probe.
            s_statxMissing = true;
            return null;
        }

        var mask = *(uint*)buffer;
        var time = (mask & StatxBirthTime) != 0 ? buffer + BirthTimeOffset : buffer + ChangeTimeOffset;
        return new FileIdentity(
            *(uint*)(buffer + DeviceMajorOffset),
            *(uint*)(buffer + DeviceMinorOffset),
            *(ulong*)(buffer + InodeOffset),
            *(long*)time,
            *(uint*)(time + sizeof(long)));
    }

    private const int MaxPath = 107;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxChangeTime = 0x80;
    private const uint StatxIno = 0x100;
    private const uint StatxBirthTime = 0x800;
    private const int StatxSize = 256;
    private const int InodeOffset = 32;
    private const int BirthTimeOffset = 80;
    private const int ChangeTimeOffset = 96;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
