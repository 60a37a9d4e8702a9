using System.Runtime.InteropServices;

namespace Baton.Patterns;

/// <summary>
/// Writes that survive a crash of the process or the machine: the bytes go to a temporary file that
/// is flushed to the disk (fsync), renamed into place, and the folder is flushed too, so that the new
/// name is on the disk before the caller acknowledges anything. A reader never sees half a file.
/// </summary>
internal static partial class DurableFiles
{
    /// <summary>Writes <paramref name="write"/>'s bytes to <paramref name="path"/>, durably, replacing a file there.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(folder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 16 * 1024))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }

            // rename(2) replaces atomically: the path holds the old file or the new one, never a mix.
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        FlushFolder(folder);
    }

    /// <summary>The suffix of files a crash may have left half-written; they were never acknowledged.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Deletes the files and makes the deletions durable.</summary>
    public static void Delete(string folder, params ReadOnlySpan<string> paths)
    {
        foreach (var path in paths)
        {
            File.Delete(path);
        }

        FlushFolder(folder);
    }

    /// <summary>
    /// Flushes a folder's entries (names created, renamed, removed) to the disk. A file's own fsync
    /// does not cover its name: without this a crash can lose a file that was flushed.
    /// </summary>
    public static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            // NTFS journals its metadata, and .NET cannot open a folder for flushing there.
            return;
        }

        // O_RDONLY, and O_CLOEXEC where its value is Linux's (a child must not inherit the descriptor).
        var flags = OperatingSystem.IsLinux() ? 0x80000 : 0;
        var fd = Open(folder, flags);
        if (fd < 0)
        {
            throw new IOException($"Cannot open the folder {folder} to flush it: errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"Cannot flush the folder {folder} to the disk: errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next start's cleanup of temporary files.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
