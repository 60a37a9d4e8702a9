using System.Runtime.InteropServices;

namespace Baton.Internal;

/// <summary>Linux epoll and eventfd, as Baton's I/O threads use them (see Engine/IoThread.cs).</summary>
internal static unsafe partial class Epoll
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;
    public const uint EdgeTriggered = 1u << 31;

    public const int CtlAdd = 1;
    public const int CtlDelete = 2;

    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int Interrupted = 4;

    /// <summary>
    /// Size of struct epoll_event: x86 packs it (4-byte events, then 8-byte data at offset 4); every other
    /// architecture aligns the data to 8.
    /// </summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 12 : 16;

    private static readonly int s_dataOffset = EventSize == 12 ? 4 : 8;

    /// <summary>True where epoll exists and works (Linux); elsewhere connections use the thread pool.</summary>
    public static bool IsSupported { get; } = Probe();

    public static int Create()
    {
        var fd = EpollCreate1(CloseOnExec);
        return fd >= 0 ? fd : throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static int CreateEventFd()
    {
        var fd = EventFd(0, CloseOnExec | NonBlocking);
        return fd >= 0 ? fd : throw new InvalidOperationException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Adds <paramref name="fd"/> with <paramref name="events"/>; <paramref name="data"/> comes back with its events. Returns errno, 0 on success.</summary>
    public static int Add(int epoll, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + s_dataOffset) = data;
        return EpollCtl(epoll, CtlAdd, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static void Remove(int epoll, int fd)
    {
        // Linux before 2.6.9 wanted a non-null event even for DEL.
        var ev = stackalloc byte[16];
        EpollCtl(epoll, CtlDelete, fd, ev);
    }

    /// <summary>Waits for events; 0 when interrupted by a signal (the runtime uses signals to suspend threads).</summary>
    public static int Wait(int epoll, byte* events, int max, int timeoutMs)
    {
        var n = EpollWait(epoll, events, max, timeoutMs);
        if (n >= 0)
        {
            return n;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == Interrupted ? 0 : throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
    }

    public static uint EventsAt(byte* events, int index) => *(uint*)(events + (index * EventSize));

    public static ulong DataAt(byte* events, int index) => *(ulong*)(events + (index * EventSize) + s_dataOffset);

    /// <summary>Adds one to an eventfd's counter, waking whoever waits on it.</summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        Write(eventFd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Resets an eventfd's counter (non-blocking: nothing to read is fine).</summary>
    public static void Drain(int eventFd)
    {
        ulong value;
        Read(eventFd, (byte*)&value, sizeof(ulong));
    }

    public static void CloseFd(int fd) => Close(fd);

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            var fd = EpollCreate1(CloseOnExec);
            if (fd < 0)
            {
                return false;
            }

            Close(fd);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int op, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, byte* events, int max, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
