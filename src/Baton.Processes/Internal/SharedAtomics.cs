using System.Runtime.CompilerServices;

namespace Baton.Processes.Internal;

/// <summary>
/// Atomic operations on an unmanaged value in shared memory. The typeof(T) tests are constants to the JIT,
/// so each instantiation compiles to the one interlocked instruction it needs.
/// </summary>
internal static class SharedAtomics
{
    /// <summary>Adds and returns the new value: int, uint, long and ulong (wrapping), float and double (CAS loop).</summary>
    public static T Add<T>(ref T location, T delta) where T : unmanaged
    {
        if (typeof(T) == typeof(int))
            return As<int, T>(Interlocked.Add(ref Unsafe.As<T, int>(ref location), As<T, int>(delta)));
        if (typeof(T) == typeof(uint))
            return As<uint, T>(Interlocked.Add(ref Unsafe.As<T, uint>(ref location), As<T, uint>(delta)));
        if (typeof(T) == typeof(long))
            return As<long, T>(Interlocked.Add(ref Unsafe.As<T, long>(ref location), As<T, long>(delta)));
        if (typeof(T) == typeof(ulong))
            return As<ulong, T>(Interlocked.Add(ref Unsafe.As<T, ulong>(ref location), As<T, ulong>(delta)));
        if (typeof(T) == typeof(double))
        {
            ref double target = ref Unsafe.As<T, double>(ref location);
            double add = As<T, double>(delta);
            while (true)
            {
                double seen = Volatile.Read(ref target);
                double sum = seen + add;
                if (BitConverter.DoubleToInt64Bits(Interlocked.CompareExchange(ref target, sum, seen)) == BitConverter.DoubleToInt64Bits(seen))
                    return As<double, T>(sum);
            }
        }
        if (typeof(T) == typeof(float))
        {
            ref float target = ref Unsafe.As<T, float>(ref location);
            float add = As<T, float>(delta);
            while (true)
            {
                float seen = Volatile.Read(ref target);
                float sum = seen + add;
                if (BitConverter.SingleToInt32Bits(Interlocked.CompareExchange(ref target, sum, seen)) == BitConverter.SingleToInt32Bits(seen))
                    return As<float, T>(sum);
            }
        }
        throw NotArithmetic<T>("Add");
    }

    /// <summary>One, for Increment.</summary>
    public static T One<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(int))
            return As<int, T>(1);
        if (typeof(T) == typeof(uint))
            return As<uint, T>(1);
        if (typeof(T) == typeof(long))
            return As<long, T>(1);
        if (typeof(T) == typeof(ulong))
            return As<ulong, T>(1);
        if (typeof(T) == typeof(double))
            return As<double, T>(1);
        if (typeof(T) == typeof(float))
            return As<float, T>(1);
        throw NotArithmetic<T>("Increment");
    }

    /// <summary>Minus one, for Decrement (wraps for unsigned types).</summary>
    public static T MinusOne<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(uint))
            return As<uint, T>(uint.MaxValue);
        if (typeof(T) == typeof(ulong))
            return As<ulong, T>(ulong.MaxValue);
        if (typeof(T) == typeof(int))
            return As<int, T>(-1);
        if (typeof(T) == typeof(long))
            return As<long, T>(-1);
        if (typeof(T) == typeof(double))
            return As<double, T>(-1);
        if (typeof(T) == typeof(float))
            return As<float, T>(-1);
        throw NotArithmetic<T>("Decrement");
    }

    /// <summary>Bitwise compare-and-exchange for any 1, 2, 4 or 8-byte T; returns the value found.</summary>
    public static T CompareExchange<T>(ref T location, T value, T comparand) where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                return As<byte, T>(Interlocked.CompareExchange(ref Unsafe.As<T, byte>(ref location), As<T, byte>(value), As<T, byte>(comparand)));
            case 2:
                return As<ushort, T>(Interlocked.CompareExchange(ref Unsafe.As<T, ushort>(ref location), As<T, ushort>(value), As<T, ushort>(comparand)));
            case 4:
                return As<uint, T>(Interlocked.CompareExchange(ref Unsafe.As<T, uint>(ref location), As<T, uint>(value), As<T, uint>(comparand)));
            case 8:
                return As<ulong, T>(Interlocked.CompareExchange(ref Unsafe.As<T, ulong>(ref location), As<T, ulong>(value), As<T, ulong>(comparand)));
            default:
                throw NotWord<T>("CompareExchange");
        }
    }

    /// <summary>Atomic exchange for any 1, 2, 4 or 8-byte T; returns the previous value.</summary>
    public static T Exchange<T>(ref T location, T value) where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                return As<byte, T>(Interlocked.Exchange(ref Unsafe.As<T, byte>(ref location), As<T, byte>(value)));
            case 2:
                return As<ushort, T>(Interlocked.Exchange(ref Unsafe.As<T, ushort>(ref location), As<T, ushort>(value)));
            case 4:
                return As<uint, T>(Interlocked.Exchange(ref Unsafe.As<T, uint>(ref location), As<T, uint>(value)));
            case 8:
                return As<ulong, T>(Interlocked.Exchange(ref Unsafe.As<T, ulong>(ref location), As<T, ulong>(value)));
            default:
                throw NotWord<T>("Exchange");
        }
    }

    /// <summary>A volatile (acquire) read of any 1, 2, 4 or 8-byte T: never torn.</summary>
    public static T Read<T>(ref T location) where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                return As<byte, T>(Volatile.Read(ref Unsafe.As<T, byte>(ref location)));
            case 2:
                return As<ushort, T>(Volatile.Read(ref Unsafe.As<T, ushort>(ref location)));
            case 4:
                return As<uint, T>(Volatile.Read(ref Unsafe.As<T, uint>(ref location)));
            case 8:
                return As<ulong, T>(Volatile.Read(ref Unsafe.As<T, ulong>(ref location)));
            default:
                throw NotWord<T>("Read");
        }
    }

    /// <summary>A volatile (release) write of any 1, 2, 4 or 8-byte T: never torn.</summary>
    public static void Write<T>(ref T location, T value) where T : unmanaged
    {
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                Volatile.Write(ref Unsafe.As<T, byte>(ref location), As<T, byte>(value));
                break;
            case 2:
                Volatile.Write(ref Unsafe.As<T, ushort>(ref location), As<T, ushort>(value));
                break;
            case 4:
                Volatile.Write(ref Unsafe.As<T, uint>(ref location), As<T, uint>(value));
                break;
            case 8:
                Volatile.Write(ref Unsafe.As<T, ulong>(ref location), As<T, ulong>(value));
                break;
            default:
                throw NotWord<T>("Write");
        }
    }

    private static TTo As<TFrom, TTo>(TFrom value) where TFrom : unmanaged where TTo : unmanaged => Unsafe.As<TFrom, TTo>(ref value);

    private static NotSupportedException NotArithmetic<T>(string operation) =>
        new($"Atomic {operation} works on int, uint, long, ulong, float and double, not on {typeof(T).Name}; use Lock() around the update instead.");

    private static NotSupportedException NotWord<T>(string operation) =>
        new($"Atomic {operation} works on elements of 1, 2, 4 or 8 bytes; {typeof(T).Name} has {Unsafe.SizeOf<T>()}. Use Lock() around the access instead.");
}
