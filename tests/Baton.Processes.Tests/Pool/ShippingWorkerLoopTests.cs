using Baton.Messages;
using Baton.Processes.Internal;
using Baton.Security;
using Baton.Sockets;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>A worker's side of code shipping against a pool that misbehaves, played by a bare CURVE ROUTER.</summary>
public class ShippingWorkerLoopTests
{
    [Fact]
    public async Task PoolGoneSilentMidFetch_TheTaskIsRefusedSoon_NotAfterTheFetchTimeout()
    {
        var poolKeys = CurveKeyPair.Generate();
        await using var pool = new RouterSocket(new SocketOptions { Linger = TimeSpan.Zero, Security = SocketSecurity.CurveServer(poolKeys.SecretKey!) });
        var endpoint = pool.Bind("tcp://127.0.0.1:0");
        var settings = new WorkerLoop.Settings(endpoint, "r.silent-pool", "", Initializer: null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500))
        {
            Security = SocketSecurity.CurveClient(CurveKeyPair.Generate().SecretKey!, poolKeys.PublicKey),
        };
        using var stop = new CancellationTokenSource();
        var worker = Task.Run(() => WorkerLoop.RunAsync(settings, stop.Token));
        try
        {
            // Well within WorkerLoop's two-minute fetch timeout: only the silence can end the fetch this soon.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var identity = await ExpectAsync(pool, PoolProtocol.Ready, deadline.Token);
            using (var task = new Message(new Frame(identity), PoolProtocol.Header(PoolProtocol.Task, 7L), PoolProtocol.Text("No.Such.Shipped.Assembly"), new Frame([1, 2, 3])))
                await pool.SendAsync(task, deadline.Token);
            await ExpectAsync(pool, PoolProtocol.Fetch, deadline.Token);

            // The pool now says nothing: no answer, no heartbeat.
            var refusal = await ExpectMessageAsync(pool, PoolProtocol.Refused, deadline.Token);
            Assert.True(PoolProtocol.TryReadInt64(refusal[1].Span, 1, out var taskId));
            Assert.Equal(7, taskId);
            Assert.Contains("went silent", PoolProtocol.Text(refusal[2].Span), StringComparison.Ordinal);
            refusal.Dispose();
        }
        finally
        {
            await stop.CancelAsync();
            await worker.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static async Task<byte[]> ExpectAsync(RouterSocket pool, byte kind, CancellationToken cancellationToken)
    {
        using var message = await ExpectMessageAsync(pool, kind, cancellationToken);
        return message[0].Span.ToArray();
    }

    /// <summary>The next message of that kind from the worker (heartbeats and READYs in between are skipped).</summary>
    private static async Task<Message> ExpectMessageAsync(RouterSocket pool, byte kind, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await pool.ReceiveAsync(cancellationToken);
            if (message.Count >= 2 && PoolProtocol.KindOf(message[1].Span) == kind)
                return message;
            message.Dispose();
        }
    }
}
