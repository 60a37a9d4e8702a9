using System.Runtime.InteropServices;
using System.Text;

namespace Baton.Bench.Cli;

/// <summary>The few libzmq calls the benchmark peer needs (Debian's libzmq5), as libzmq's own perf tools make them.</summary>
internal static partial class Libzmq
{
    private const string Library = "libzmq.so.5";
    public const int Req = 3;
    public const int Rep = 4;
    public const int Pull = 7;
    public const int Push = 8;
    private const int Linger = 17;
    private const int LastEndpoint = 32;
    private const int SendHwm = 23;
    private const int ReceiveHwm = 24;
    private const int CurveServer = 47;
    private const int CurvePublicKey = 48;
    private const int CurveSecretKey = 49;
    private const int CurveServerKey = 50;

    [LibraryImport(Library, EntryPoint = "zmq_ctx_new")]
    public static partial nint ContextNew();

    [LibraryImport(Library, EntryPoint = "zmq_ctx_term")]
    public static partial int ContextTerm(nint context);

    [LibraryImport(Library, EntryPoint = "zmq_socket")]
    public static partial nint Socket(nint context, int type);

    [LibraryImport(Library, EntryPoint = "zmq_close")]
    public static partial int Close(nint socket);

    [LibraryImport(Library, EntryPoint = "zmq_bind", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int BindNative(nint socket, string endpoint);

    [LibraryImport(Library, EntryPoint = "zmq_connect", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ConnectNative(nint socket, string endpoint);

    [LibraryImport(Library, EntryPoint = "zmq_send")]
    public static unsafe partial int Send(nint socket, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "zmq_recv")]
    public static unsafe partial int Receive(nint socket, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "zmq_setsockopt")]
    private static unsafe partial int SetOption(nint socket, int option, void* value, nuint length);

    [LibraryImport(Library, EntryPoint = "zmq_getsockopt")]
    private static unsafe partial int GetOption(nint socket, int option, void* value, nuint* length);

    [LibraryImport(Library, EntryPoint = "zmq_version")]
    private static unsafe partial void VersionNative(int* major, int* minor, int* patch);

    [LibraryImport(Library, EntryPoint = "zmq_errno")]
    private static partial int Errno();

    /// <summary>The loaded library's version, or null when libzmq.so.5 is not installed.</summary>
    public static unsafe string? TryVersion()
    {
        try
        {
            int major, minor, patch;
            VersionNative(&major, &minor, &patch);
            return $"{major}.{minor}.{patch}";
        }
        catch (DllNotFoundException)
        {
            return null;
        }
    }

    public static unsafe void SetInt(nint socket, int option, int value) => Check(SetOption(socket, option, &value, sizeof(int)), "zmq_setsockopt");

    /// <summary>Makes <paramref name="socket"/> a CURVE server (<paramref name="server"/>) or client with <paramref name="keys"/>; nothing when null.</summary>
    public static void ApplyCurve(nint socket, CurveKeys? keys, bool server)
    {
        if (keys is null)
        {
            return;
        }

        if (server)
        {
            SetInt(socket, CurveServer, 1);
            SetText(socket, CurveSecretKey, keys.ServerSecret);
        }
        else
        {
            SetText(socket, CurveServerKey, keys.ServerPublic);
            SetText(socket, CurvePublicKey, keys.ClientPublic);
            SetText(socket, CurveSecretKey, keys.ClientSecret);
        }
    }

    // A Z85 key is set as its 40 characters plus the terminating zero (41 bytes), as zmq_setsockopt documents.
    private static unsafe void SetText(nint socket, int option, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "\0");
        fixed (byte* pointer = bytes)
        {
            Check(SetOption(socket, option, pointer, (nuint)bytes.Length), "zmq_setsockopt");
        }
    }

    public static nint NewSocket(nint context, int type)
    {
        var socket = Socket(context, type);
        if (socket == 0)
        {
            throw new InvalidOperationException($"zmq_socket failed: errno {Errno()}");
        }

        SetInt(socket, Linger, 5000);
        SetInt(socket, SendHwm, 1000);
        SetInt(socket, ReceiveHwm, 1000);
        return socket;
    }

    public static unsafe string Bind(nint socket, string endpoint)
    {
        Check(BindNative(socket, endpoint), "zmq_bind");
        var buffer = stackalloc byte[256];
        nuint length = 256;
        Check(GetOption(socket, LastEndpoint, buffer, &length), "zmq_getsockopt");
        return Encoding.UTF8.GetString(buffer, (int)length - 1);
    }

    public static void Connect(nint socket, string endpoint) => Check(ConnectNative(socket, endpoint), "zmq_connect");

    /// <summary>Sends a whole buffer as one message; throws on failure.</summary>
    public static unsafe void SendAll(nint socket, ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            if (Send(socket, pointer, (nuint)data.Length, 0) < 0)
            {
                throw new InvalidOperationException($"zmq_send failed: errno {Errno()}");
            }
        }
    }

    /// <summary>Receives one message into <paramref name="buffer"/> and returns its size.</summary>
    public static unsafe int ReceiveInto(nint socket, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            var size = Receive(socket, pointer, (nuint)buffer.Length, 0);
            if (size < 0)
            {
                throw new InvalidOperationException($"zmq_recv failed: errno {Errno()}");
            }

            return size;
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{call} failed: errno {Errno()}");
        }
    }
}
