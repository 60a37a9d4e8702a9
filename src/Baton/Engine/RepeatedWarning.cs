namespace Baton.Engine;

/// <summary>
/// A warning about one peer that would otherwise repeat at every reconnect (an invalid socket pairing
/// retried every reconnect interval): the first occurrence warns, later ones are logged at Debug, until
/// a handshake with that peer succeeds and a new failure is news again. The socket keeps one per
/// connected endpoint, or per remote host on a listener, and hands it to each of its connections.
/// </summary>
internal sealed class RepeatedWarning
{
    private int _warned;

    /// <summary>True the first time since the last <see cref="Reset"/>: this occurrence deserves a warning.</summary>
    public bool TryWarn() => Interlocked.Exchange(ref _warned, 1) == 0;

    /// <summary>A handshake with the peer succeeded: the next failure warns again.</summary>
    public void Reset() => Volatile.Write(ref _warned, 0);
}
