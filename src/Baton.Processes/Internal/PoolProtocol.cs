using System.Buffers.Binary;
using System.Text;
using Baton.Messages;

namespace Baton.Processes.Internal;

/// <summary>
/// The pool's wire protocol between its ROUTER and each worker's DEALER. The first frame of every
/// message is a header: one kind byte, then fixed little-endian fields; variable parts (assembly name,
/// call, outcome, text) follow as frames of their own so their bytes are never copied into a header.
/// One task is in flight per worker, so a crash is always charged to exactly one task.
/// </summary>
internal static class PoolProtocol
{
    // Worker -> pool.

    /// <summary>[R, pid:i32, initialized:i32] [tag] [host]: the worker is up; tag is the local slot name, empty for remote workers. With initialized 0 and a pool initializer, the pool sends <see cref="Initialize"/> first.</summary>
    public const byte Ready = (byte)'R';

    /// <summary>[D, task:i64, workingSet:i64] [outcome]: the task finished (result or exception, as Invocation encodes them); workingSet 0 when the <see cref="Task"/> did not ask for it.</summary>
    public const byte Done = (byte)'D';

    /// <summary>[X, task:i64] [reason]: the worker refuses the task (it lacks the task's code).</summary>
    public const byte Refused = (byte)'X';

    /// <summary>[I] [outcome]: the initializer failed; the worker exits after sending this.</summary>
    public const byte InitializerFailed = (byte)'I';

    /// <summary>[E, pid:i32, exitCode:i32] [identity]: a supervisor (baton worker) saw one of its workers exit.</summary>
    public const byte Exited = (byte)'E';

    /// <summary>
    /// [F, request:i64] [assembly name]: the worker lacks this assembly (a task's, or one it depends on) and
    /// asks the pool to ship it. Sent only by a worker whose connection is CURVE with the pool's key known.
    /// </summary>
    public const byte Fetch = (byte)'F';

    // Both ways.

    /// <summary>[H]: still here. Remote workers and the pool send it each heartbeat interval.</summary>
    public const byte Heartbeat = (byte)'H';

    // Pool -> worker.

    /// <summary>
    /// [T, task:i64, reportMemory:i64] [assembly] [call]: run this call. reportMemory 0: the pool sets no
    /// memory limit, so the worker need not measure its working set for <see cref="Done"/> (a header without
    /// the field, from an older pool, asks for it).
    /// </summary>
    public const byte Task = (byte)'T';

    /// <summary>[C, task:i64]: signal the task's CancellationToken.</summary>
    public const byte Cancel = (byte)'C';

    /// <summary>[N] [call]: run the pool's initializer, then say READY again (remote workers).</summary>
    public const byte Initialize = (byte)'N';

    /// <summary>[S]: finish and exit (recycling, shutdown).</summary>
    public const byte Stop = (byte)'S';

    /// <summary>[K]: exit at once (a remote worker whose task ignored cancellation past the grace period).</summary>
    public const byte Kill = (byte)'K';

    /// <summary>
    /// [A, request:i64] [sha256] [bytes]: the answer to <see cref="Fetch"/>: the assembly file and its SHA-256,
    /// one message per assembly so a big one holds up no other worker's traffic.
    /// </summary>
    public const byte Assembly = (byte)'A';

    /// <summary>[U, request:i64] [reason]: the pool will not ship the assembly asked for (not over CURVE, not its own, ...).</summary>
    public const byte AssemblyUnavailable = (byte)'U';

    public static Frame Header(byte kind) => new([kind]);

    public static Frame Header(byte kind, long value)
    {
        var bytes = new byte[9];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), value);
        return new Frame(bytes);
    }

    public static Frame Header(byte kind, long first, long second)
    {
        var bytes = new byte[17];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), first);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), second);
        return new Frame(bytes);
    }

    public static Frame Header(byte kind, int first, int second)
    {
        var bytes = new byte[9];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), first);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(5), second);
        return new Frame(bytes);
    }

    public static Frame Header(byte kind, int value)
    {
        var bytes = new byte[5];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), value);
        return new Frame(bytes);
    }

    /// <summary>The kind byte of a header, or 0 for an empty or malformed one.</summary>
    public static byte KindOf(ReadOnlySpan<byte> header) => header.IsEmpty ? (byte)0 : header[0];

    public static bool TryReadInt64(ReadOnlySpan<byte> header, int at, out long value)
    {
        if (header.Length < at + 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadInt64LittleEndian(header[at..]);
        return true;
    }

    public static bool TryReadInt32(ReadOnlySpan<byte> header, int at, out int value)
    {
        if (header.Length < at + 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadInt32LittleEndian(header[at..]);
        return true;
    }

    public static Frame Text(string text) => new(Encoding.UTF8.GetBytes(text));

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
