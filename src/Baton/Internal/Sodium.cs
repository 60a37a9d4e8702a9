using System.Runtime.InteropServices;

namespace Baton.Internal;

/// <summary>
/// The libsodium functions CURVE needs (crypto_box: X25519, XSalsa20 and Poly1305), called in the native
/// library of the <c>libsodium</c> package, which its author builds for every platform .NET runs on. No
/// cryptography is written here: this is the binding only. Why not a managed binding: NSec and Geralt have
/// no XSalsa20-Poly1305 box, and Sodium.Core exposes only byte-array calls that allocate and redo the
/// X25519 exchange on every box; CURVE boxes every message with a precomputed key, over spans.
/// </summary>
internal static unsafe partial class Sodium
{
    private const string Library = "libsodium";

    /// <summary>Public and secret key length (crypto_box_PUBLICKEYBYTES, SECRETKEYBYTES, BEFORENMBYTES).</summary>
    public const int KeyBytes = 32;

    /// <summary>Nonce length (crypto_box_NONCEBYTES).</summary>
    public const int NonceBytes = 24;

    /// <summary>Authenticator length added by every box (crypto_box_MACBYTES).</summary>
    public const int MacBytes = 16;

    private static volatile bool _initialized;

    /// <summary>Fills <paramref name="buffer"/> with random bytes from the system's generator.</summary>
    public static void RandomBytes(Span<byte> buffer)
    {
        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            randombytes_buf(p, (nuint)buffer.Length);
        }
    }

    /// <summary>A new key pair (crypto_box_keypair).</summary>
    public static void KeyPair(Span<byte> publicKey, Span<byte> secretKey)
    {
        CheckKey(publicKey);
        CheckKey(secretKey);
        EnsureInitialized();
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        {
            Check(crypto_box_keypair(pk, sk), "crypto_box_keypair");
        }
    }

    /// <summary>The public key of <paramref name="secretKey"/> (crypto_scalarmult_base).</summary>
    public static void PublicKeyOf(ReadOnlySpan<byte> secretKey, Span<byte> publicKey)
    {
        CheckKey(secretKey);
        CheckKey(publicKey);
        EnsureInitialized();
        fixed (byte* sk = secretKey)
        fixed (byte* pk = publicKey)
        {
            Check(crypto_scalarmult_base(pk, sk), "crypto_scalarmult_base");
        }
    }

    /// <summary>
    /// The shared key of a box between <paramref name="secretKey"/> and <paramref name="publicKey"/> (crypto_box_beforenm);
    /// false when the public key is a weak point that gives no secret.
    /// </summary>
    public static bool BeforeNm(Span<byte> sharedKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        CheckKey(sharedKey);
        CheckKey(publicKey);
        CheckKey(secretKey);
        EnsureInitialized();
        fixed (byte* k = sharedKey)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
        {
            return crypto_box_beforenm(k, pk, sk) == 0;
        }
    }

    /// <summary>
    /// Boxes <paramref name="plain"/> into <paramref name="box"/> (MAC then cipher text, <see cref="MacBytes"/> longer)
    /// with a shared key (crypto_box_easy_afternm). The two may overlap: libsodium allows it.
    /// </summary>
    public static void Box(Span<byte> box, ReadOnlySpan<byte> plain, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        if (box.Length < plain.Length + MacBytes || nonce.Length != NonceBytes)
        {
            throw new ArgumentException("box too small or nonce of the wrong length");
        }

        CheckKey(sharedKey);
        fixed (byte* c = box)
        fixed (byte* m = plain)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
        {
            Check(crypto_box_easy_afternm(c, m, (ulong)plain.Length, n, k), "crypto_box_easy_afternm");
        }
    }

    /// <summary>
    /// Opens <paramref name="box"/> into <paramref name="plain"/> (<see cref="MacBytes"/> shorter) with a shared key
    /// (crypto_box_open_easy_afternm); false when the box is not authentic. The two may overlap.
    /// </summary>
    public static bool Open(Span<byte> plain, ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        if (box.Length < MacBytes || plain.Length < box.Length - MacBytes || nonce.Length != NonceBytes)
        {
            return false;
        }

        CheckKey(sharedKey);
        fixed (byte* m = plain)
        fixed (byte* c = box)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
        {
            return crypto_box_open_easy_afternm(m, c, (ulong)box.Length, n, k) == 0;
        }
    }

    /// <summary>Boxes with the key pair's exchange done for this one box (handshake boxes).</summary>
    public static bool Box(Span<byte> box, ReadOnlySpan<byte> plain, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        Span<byte> shared = stackalloc byte[KeyBytes];
        try
        {
            if (!BeforeNm(shared, publicKey, secretKey))
            {
                return false;
            }

            Box(box, plain, nonce, shared);
            return true;
        }
        finally
        {
            Wipe(shared);
        }
    }

    /// <summary>Opens a box with the key pair's exchange done for this one box (handshake boxes); false when not authentic.</summary>
    public static bool Open(Span<byte> plain, ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        Span<byte> shared = stackalloc byte[KeyBytes];
        try
        {
            return BeforeNm(shared, publicKey, secretKey) && Open(plain, box, nonce, shared);
        }
        finally
        {
            Wipe(shared);
        }
    }

    /// <summary>Zeroes secret bytes in a way the compiler cannot remove (sodium_memzero).</summary>
    public static void Wipe(Span<byte> secret)
    {
        EnsureInitialized();
        fixed (byte* p = secret)
        {
            sodium_memzero(p, (nuint)secret.Length);
        }
    }

    /// <summary>Loads libsodium and initialises it once; throws <see cref="PlatformNotSupportedException"/> when it cannot be loaded.</summary>
    public static void EnsureInitialized()
    {
        if (_initialized)
        {
            return;
        }

        int result;
        try
        {
            // Thread-safe and idempotent in libsodium: racing callers are fine.
            result = sodium_init();
        }
        catch (DllNotFoundException e)
        {
            throw new PlatformNotSupportedException($"CURVE needs libsodium, which the libsodium package ships for this platform's runtime identifier; it could not be loaded: {e.Message}", e);
        }

        if (result < 0)
        {
            throw new PlatformNotSupportedException("libsodium failed to initialise (sodium_init)");
        }

        _initialized = true;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"a key is {KeyBytes} bytes, not {key.Length}");
        }
    }

    private static void Check(int result, string function)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"libsodium's {function} failed");
        }
    }

#pragma warning disable SA1300, IDE1006 // libsodium's names, as its documentation spells them
    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial void randombytes_buf(byte* buffer, nuint size);

    [LibraryImport(Library)]
    private static partial void sodium_memzero(byte* buffer, nuint size);

    [LibraryImport(Library)]
    private static partial int crypto_box_keypair(byte* publicKey, byte* secretKey);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult_base(byte* publicKey, byte* secretKey);

    [LibraryImport(Library)]
    private static partial int crypto_box_beforenm(byte* sharedKey, byte* publicKey, byte* secretKey);

    [LibraryImport(Library)]
    private static partial int crypto_box_easy_afternm(byte* box, byte* plain, ulong plainLength, byte* nonce, byte* sharedKey);

    [LibraryImport(Library)]
    private static partial int crypto_box_open_easy_afternm(byte* plain, byte* box, ulong boxLength, byte* nonce, byte* sharedKey);
#pragma warning restore SA1300, IDE1006
}
