using Baton.Internal;

namespace Baton.Wire.Mechanisms;

/// <summary>What one CURVE server socket keeps for all its connections: its long-term key pair.</summary>
internal sealed class CurveServerKeys
{
    private readonly Lock _lock = new();
    private readonly byte[] _secretKey;
    private readonly byte[] _publicKey = new byte[Sodium.KeyBytes];
    private bool _initialized;

    public CurveServerKeys(byte[] secretKey)
    {
        _secretKey = secretKey;
    }

    /// <summary>The long-term secret key (s): the socket's options own the array.</summary>
    public ReadOnlySpan<byte> SecretKey => _secretKey;

    /// <summary>The long-term public key (S), computed at first use.</summary>
    public ReadOnlySpan<byte> PublicKey
    {
        get
        {
            if (!Volatile.Read(ref _initialized))
            {
                lock (_lock)
                {
                    if (!_initialized)
                    {
                        Sodium.PublicKeyOf(_secretKey, _publicKey);
                        Volatile.Write(ref _initialized, true);
                    }
                }
            }

            return _publicKey;
        }
    }
}
