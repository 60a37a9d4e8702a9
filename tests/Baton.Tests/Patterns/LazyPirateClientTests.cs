using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>Lazy Pirate: a reply or a clear error, exactly one reply per request, a server that restarts.</summary>
public class LazyPirateClientTests
{
    private static readonly LazyPirateOptions Quick = new() { Timeout = TimeSpan.FromMilliseconds(300), Attempts = 3 };

    [Fact]
    public async Task Request_ReturnsTheReply_AsyncAndSync()
    {
        await using var server = new RepSocket();
        var endpoint = server.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var serving = TestUtil.EchoAsync(server, cancel.Token);

        await using var client = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TimeSpan.FromSeconds(10) });
        using (var reply = await client.RequestAsync(new Message("hello", "async")))
        {
            Assert.Equal(["hello", "async"], reply.ToStrings());
        }

        using (var reply = client.Request(new Message("hello", "sync")))
        {
            Assert.Equal(["hello", "sync"], reply.ToStrings());
        }

        await cancel.CancelAsync();
        await serving;
    }

    [Fact]
    public async Task NoServer_ThrowsServerUnavailable_AfterTheLastAttempt_AsyncAndSync()
    {
        var endpoint = TestUtil.Endpoint("ipc");
        await using var client = new LazyPirateClient(endpoint, Quick);
        var error = await Assert.ThrowsAsync<ServerUnavailableException>(() => client.RequestAsync(new Message("anyone?")));
        Assert.Equal(3, error.Attempts);
        Assert.Equal(endpoint, error.Endpoint);
        Assert.Contains("after 3 attempt(s) of 300 ms", error.Message, StringComparison.Ordinal);

        Assert.Throws<ServerUnavailableException>(() => client.Request(new Message("anyone?")));
    }

    [Fact]
    public async Task ALostRequest_IsSentAgain_AndALateReplyToTheLostOneIsNeverTakenForTheNext()
    {
        // A ROUTER server that ignores the first attempt, answers the second, then answers the first late.
        await using var server = new RouterSocket();
        var endpoint = server.Bind(TestUtil.Endpoint("inproc"));
        // 1.5 s per attempt: the test must answer the second attempt before the client gives up on it, even on a loaded machine.
        await using var client = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(1500), Attempts = 3 });
        var request = client.RequestAsync(new Message("q1"));

        using var first = await server.ReceiveOrFail();
        using var second = await server.ReceiveOrFail(); // the retry, from a new socket
        Assert.NotEqual(first[0], second[0]);
        Assert.Equal("q1", second[2].ToString());
        await server.SendOrFail(new Message(second[0], Frame.Empty, "a1"));
        await server.SendOrFail(new Message(first[0], Frame.Empty, "a1-late"));
        using (var reply = await request.WaitAsync(TestUtil.Timeout))
        {
            Assert.Equal("a1", reply.ToString());
        }

        var next = client.RequestAsync(new Message("q2"));
        using var third = await server.ReceiveOrFail();
        Assert.Equal("q2", third[2].ToString());
        await server.SendOrFail(new Message(third[0], Frame.Empty, "a2"));
        using (var reply = await next.WaitAsync(TestUtil.Timeout))
        {
            Assert.Equal("a2", reply.ToString());
        }
    }

    [Fact]
    public async Task APyzmqServerKilledAndRestarted_IsReachedAgain_ByTheSameClient()
    {
        var endpoint = TestUtil.Endpoint("ipc");
        await using var client = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 60 });
        await using (var server = PatternPeer.Start("rep", "bind", endpoint, "first"))
        {
            await server.WaitForAsync("ready");
            using var reply = await client.RequestAsync(new Message("before"));
            Assert.Equal(["first", "before"], reply.ToStrings());
            await server.KillAsync();
        }

        // The server is dead: the request is retried on new sockets until the restarted server answers it.
        var request = client.RequestAsync(new Message("during"));
        await using (var restarted = PatternPeer.Start("rep", "bind", endpoint, "second"))
        {
            await restarted.WaitForAsync("ready");
            using (var reply = await request.WaitAsync(TimeSpan.FromSeconds(30)))
            {
                Assert.Equal(["second", "during"], reply.ToStrings());
            }

            using var after = await client.RequestAsync(new Message("after"));
            Assert.Equal(["second", "after"], after.ToStrings());
        }

        File.Delete(endpoint["ipc://".Length..]);
    }

    [Fact]
    public async Task Cancellation_AbandonsTheRequest_AndTheNextOneStartsAfresh()
    {
        await using var server = new RouterSocket();
        var endpoint = server.Bind(TestUtil.Endpoint("inproc"));
        await using var client = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TimeSpan.FromSeconds(30) });
        using var cancel = new CancellationTokenSource();
        var request = client.RequestAsync(new Message("never answered"), cancel.Token);
        using (await server.ReceiveOrFail())
        {
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(TestUtil.Timeout));

        var next = client.RequestAsync(new Message("q"));
        using var received = await server.ReceiveOrFail();
        await server.SendOrFail(new Message(received[0], Frame.Empty, "a"));
        using var reply = await next.WaitAsync(TestUtil.Timeout);
        Assert.Equal("a", reply.ToString());
    }

    [Fact]
    public void Options_RefuseNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LazyPirateOptions { Timeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LazyPirateOptions { Timeout = Timeout.InfiniteTimeSpan });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LazyPirateOptions { Attempts = 0 });
    }
}
