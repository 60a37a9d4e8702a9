namespace Baton.Transports;

/// <summary>
/// The wait before the next connect attempt: the reconnect interval, doubled after each failed
/// attempt up to the maximum (no doubling when the maximum is zero), back to the interval once an
/// attempt succeeds (libzmq's ZMQ_RECONNECT_IVL and ZMQ_RECONNECT_IVL_MAX).
/// </summary>
internal struct ReconnectBackoff
{
    private readonly TimeSpan _interval;
    private readonly TimeSpan _max;
    private TimeSpan _delay;

    public ReconnectBackoff(TimeSpan interval, TimeSpan max)
    {
        _interval = interval;
        _max = max;
        _delay = interval;
    }

    /// <summary>The wait after an attempt that failed now.</summary>
    public readonly TimeSpan Delay => _delay;

    /// <summary>An attempt failed and its wait is over: the next wait grows.</summary>
    public void Failed()
    {
        if (_max <= TimeSpan.Zero)
        {
            return;
        }

        var next = _delay * 2;
        _delay = next > _max ? _max : next;
    }

    /// <summary>An attempt succeeded: the next failure waits the interval again.</summary>
    public void Succeeded() => _delay = _interval;
}
