using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>
/// What one CURVE server socket keeps for all its connections: its long-term key pair and the cookie keys.
/// </summary>
/// <remarks>
/// Cookies (RFC 26 "WELCOME"): the server seals the client's C' and its own transient secret s' in a
/// cookie, sends it in WELCOME and forgets both; INITIATE brings the cookie back. So a connection holds
/// no key material between HELLO and INITIATE, and a flood of HELLOs costs the server no memory. Unlike
/// libzmq, which keeps a fresh cookie key per connection (and so state), the cookie key here is one per
/// server socket and rotates every <see cref="CookieKeyLifetime"/>; the one before stays valid for one
/// more period, so a cookie opens for between one and two periods after it was made, then never again;
/// and only on the connection that made it (each remembers its cookie's nonce), so a recorded session
/// cannot be replayed on a new connection meanwhile.
/// The cookie box is crypto_secretbox (XSalsa20-Poly1305 under a 32-byte key): crypto_box_easy_afternm
/// with the cookie key in place of a shared key is exactly that, so no other primitive is needed.
/// </remarks>
internal sealed class CurveServerKeys
{
    /// <summary>How long a cookie key makes cookies (RFC 26 suggests cookies that expire within a minute).</summary>
    public static readonly TimeSpan CookieKeyLifetime = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly byte[] _secretKey;
    private readonly byte[] _publicKey = new byte[Sodium.KeyBytes];
    private readonly byte[] _cookieKey = new byte[Sodium.KeyBytes];
    private readonly byte[] _previousCookieKey = new byte[Sodium.KeyBytes];
    private bool _hasPrevious;
    private bool _initialized;
    private long _cookieKeyBorn;

    // Milliseconds, monotonic: Environment.TickCount64, but in tests, which move it to rotate the cookie keys.
    private readonly Func<long> _clock;

    public CurveServerKeys(byte[] secretKey, Func<long>? clock = null)
    {
        _secretKey = secretKey;
        _clock = clock ?? (static () => Environment.TickCount64);
    }

    /// <summary>The long-term secret key (s): the socket's options own the array.</summary>
    public ReadOnlySpan<byte> SecretKey => _secretKey;

    /// <summary>The long-term public key (S).</summary>
    public ReadOnlySpan<byte> PublicKey
    {
        get
        {
            EnsureInitialized();
            return _publicKey;
        }
    }

    /// <summary>Seals <paramref name="plain"/> (C' + s') into <paramref name="cookie"/> (nonce, then box) with the current cookie key.</summary>
    public void SealCookie(ReadOnlySpan<byte> plain, Span<byte> cookie)
    {
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        Sodium.RandomBytes(cookie[..CurveCodec.LongNonceBytes]);
        CurveCodec.LongNonce(nonce, CurveCodec.CookiePrefix, cookie[..CurveCodec.LongNonceBytes]);
        lock (_lock)
        {
            RotateIfDue();
            Sodium.Box(cookie[CurveCodec.LongNonceBytes..], plain, nonce, _cookieKey);
        }
    }

    /// <summary>Opens a cookie into <paramref name="plain"/>; false when no live cookie key opens it (forged or expired).</summary>
    public bool OpenCookie(ReadOnlySpan<byte> cookie, Span<byte> plain)
    {
        Span<byte> nonce = stackalloc byte[Sodium.NonceBytes];
        CurveCodec.LongNonce(nonce, CurveCodec.CookiePrefix, cookie[..CurveCodec.LongNonceBytes]);
        var box = cookie[CurveCodec.LongNonceBytes..];
        lock (_lock)
        {
            RotateIfDue();
            return Sodium.Open(plain, box, nonce, _cookieKey)
                || (_hasPrevious && Sodium.Open(plain, box, nonce, _previousCookieKey));
        }
    }

    private void EnsureInitialized()
    {
        if (Volatile.Read(ref _initialized))
        {
            return;
        }

        lock (_lock)
        {
            if (!_initialized)
            {
                InitializeLocked();
            }
        }
    }

    // Under _lock; libsodium is first needed here, not when the socket's options are made.
    private void InitializeLocked()
    {
        Sodium.PublicKeyOf(_secretKey, _publicKey);
        Sodium.RandomBytes(_cookieKey);
        _cookieKeyBorn = _clock();
        Volatile.Write(ref _initialized, true);
    }

    // Under _lock.
    private void RotateIfDue()
    {
        if (!_initialized)
        {
            InitializeLocked();
            return;
        }

        var age = _clock() - _cookieKeyBorn;
        if (age < (long)CookieKeyLifetime.TotalMilliseconds)
        {
            return;
        }

        if (age < 2 * (long)CookieKeyLifetime.TotalMilliseconds)
        {
            _cookieKey.CopyTo(_previousCookieKey, 0);
            _hasPrevious = true;
        }
        else
        {
            // Idle for two periods: the current key's cookies have all expired too.
            Sodium.Wipe(_previousCookieKey);
            _hasPrevious = false;
        }

        Sodium.RandomBytes(_cookieKey);
        _cookieKeyBorn = _clock();
    }
}
