using Baton.Wire;

namespace Baton.Engine;

/// <summary>Heartbeats: PING at the interval, drop after the timeout or the peer's TTL.</summary>
internal sealed partial class Connection
{
    private Task StartHeartbeat()
    {
        if (Interlocked.Exchange(ref _heartbeatStarted, 1) == 1)
        {
            return Task.CompletedTask;
        }

        return HeartbeatLoopAsync();
    }

    private async Task HeartbeatLoopAsync()
    {
        var interval = (long)_options.HeartbeatInterval.TotalMilliseconds;
        var timeout = (long)_options.HeartbeatTimeout.TotalMilliseconds;
        long lastPing = Environment.TickCount64;

        // When the oldest PING still without any traffic after it went out; 0 when none is pending.
        // Later PINGs must not move it, or a silent peer would never time out.
        long unansweredSince = 0;
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                var ttl = Volatile.Read(ref _remoteTtlMs);
                var tick = interval > 0 ? Math.Min(interval, Math.Max(timeout, 1)) : Math.Max(ttl / 4, 10);
                await _io.DelayAsync(TimeSpan.FromMilliseconds(tick)).ConfigureAwait(false);
                var now = Environment.TickCount64;
                var last = Volatile.Read(ref _lastReceived);
                if (interval > 0)
                {
                    if (unansweredSince != 0)
                    {
                        if (last >= unansweredSince)
                        {
                            unansweredSince = 0;
                        }
                        else if (now - unansweredSince >= timeout)
                        {
                            Abort($"no traffic for {now - unansweredSince} ms after a PING (heartbeat timeout {timeout} ms)");
                            return;
                        }
                    }

                    if (now - lastPing >= interval)
                    {
                        EnqueueCommand((Zmtp.FlagCommand, Commands.PingBody(_options.HeartbeatTtl, default)));
                        lastPing = now;
                        if (unansweredSince == 0)
                        {
                            unansweredSince = now;
                        }
                    }
                }

                ttl = Volatile.Read(ref _remoteTtlMs);
                if (ttl > 0 && now - last > ttl)
                {
                    Abort($"nothing heard from the peer within its heartbeat TTL of {ttl} ms");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
