using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Binary Star servers and the failover client over real sockets: the primary serves, a dead primary's
/// clients move to the backup, which takes over on their request; the old primary comes back passive;
/// and a backup whose peer still speaks never takes over (the split-brain guard).
/// </summary>
public sealed class BinaryStarTests : IAsyncLifetime
{
    /// <summary>Short, so failover is quick; the client settles for more than two of them.</summary>
    private static readonly BinaryStarOptions s_fast = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(200) };

    private static readonly BinaryStarClientOptions s_client = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(1),
        SettleDelay = TimeSpan.FromMilliseconds(500),
        MaxAttempts = 10,
    };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-bstar-");
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime: xunit 2 never calls a test class's IAsyncDisposable.
    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task PairStartedTogether_PrimaryServes_BackupStaysPassive()
    {
        var (primary, backup) = await StartPairAsync(s_fast);
        var client = Own(new BinaryStarClient(primary.Star.FrontendEndpoint, backup.Star.FrontendEndpoint, s_client));
        for (var i = 0; i < 5; i++)
        {
            using var reply = await client.RequestAsync(new Message("hello", $"{i}"));
            Assert.Equal(["hello", $"{i}"], reply.ToStrings());
        }

        Assert.Equal(primary.Star.FrontendEndpoint, client.CurrentEndpoint);
        Assert.Equal(BinaryStarState.Active, primary.Star.State);
        Assert.Equal(BinaryStarState.Passive, backup.Star.State);
        Assert.Equal(0, backup.Star.RefusedRequestCount);
    }

    [Fact]
    public async Task PrimaryDies_ClientFailsOverToBackup_WhichTakesOverOnTheRequest_AndTheOldPrimaryReturnsPassive()
    {
        var (primary, backup) = await StartPairAsync(s_fast);
        var client = Own(new BinaryStarClient(primary.Star.FrontendEndpoint, backup.Star.FrontendEndpoint, s_client));
        using (var first = await client.RequestAsync(new Message("before")))
        {
            Assert.Equal("before", first.First.ToString());
        }

        var takeover = new TaskCompletionSource<BinaryStarStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        backup.Star.StateChanged += (_, change) => takeover.TrySetResult(change);
        await primary.DisposeAsync();

        // Nothing changes until a client asks: time alone does not make the backup active.
        Assert.Equal(BinaryStarState.Passive, backup.Star.State);
        using (var reply = await client.RequestAsync(new Message("after")))
        {
            Assert.Equal("after", reply.First.ToString());
        }

        Assert.Equal(backup.Star.FrontendEndpoint, client.CurrentEndpoint);
        var change = await takeover.Task.WaitAsync(TestUtil.Timeout);
        Assert.Equal((BinaryStarState.Passive, BinaryStarState.Active), (change.Previous, change.Current));
        Assert.Contains("client", change.Reason);

        // The primary comes back on the same endpoints, hears an active backup, and stands by.
        var returned = Start(BinaryStarRole.Primary, primary.Frontend, primary.Local, primary.Remote, s_fast);
        await returned.Star.WaitForStateAsync(BinaryStarState.Passive).WaitAsync(TestUtil.Timeout);
        Assert.Equal(BinaryStarState.Active, backup.Star.State);
        using (var again = await client.RequestAsync(new Message("still the backup")))
        {
            Assert.Equal("still the backup", again.First.ToString());
        }

        Assert.Equal(BinaryStarState.Active, backup.Star.State);
        Assert.Equal(BinaryStarState.Passive, returned.Star.State);
        Assert.False(backup.Run.IsCompleted);
        Assert.False(returned.Run.IsCompleted);
    }

    [Fact]
    public async Task BackupPassive_PeerStillSpeaking_RefusesAClientRequest_AndNeverBecomesActive()
    {
        // A long heartbeat: the primary is heard well within two of them, however loaded the machine.
        var options = new BinaryStarOptions { HeartbeatInterval = TimeSpan.FromSeconds(2) };
        var (primary, backup) = await StartPairAsync(options);
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backup.Star.RequestRefused += (_, _) => refused.TrySetResult();

        // A client that (wrongly) thinks the primary is gone talks straight to the backup.
        await using var stray = new ReqSocket(TestUtil.Quick);
        stray.Connect(backup.Star.FrontendEndpoint);
        await stray.SendOrFail(new Message("let me in"));
        await refused.Task.WaitAsync(TestUtil.Timeout);

        Assert.Equal(BinaryStarState.Passive, backup.Star.State);
        Assert.Equal(BinaryStarState.Active, primary.Star.State);
        Assert.False(stray.TryReceive(out _, TimeSpan.Zero));
        Assert.Equal(1, backup.Star.RefusedRequestCount);
    }

    [Fact]
    public async Task BackupPassive_PeerFallsSilent_NextClientRequestMakesItActive()
    {
        // The peer is the test: it says "active" until it stops.
        var peerState = Ipc("peer-state");
        await using var peer = new PubSocket(TestUtil.Quick);
        peer.Bind(peerState);
        var backup = Start(BinaryStarRole.Backup, Ipc("backup-frontend"), Ipc("backup-state"), peerState, s_fast);
        using var speaking = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(peer, BinaryStarState.Active, speaking.Token);
        await backup.Star.WaitForStateAsync(BinaryStarState.Passive).WaitAsync(TestUtil.Timeout);

        await using var dealer = new DealerSocket(TestUtil.Quick);
        dealer.Connect(backup.Star.FrontendEndpoint);
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backup.Star.RequestRefused += (_, _) => refused.TrySetResult();
        await dealer.SendOrFail(new Message("", "refused"));
        await refused.Task.WaitAsync(TestUtil.Timeout);
        Assert.Equal(BinaryStarState.Passive, backup.Star.State);

        speaking.Cancel();
        await heartbeats;

        // Ask until the backup has seen two silent heartbeats; the first answer is the takeover's.
        using var reply = await AskUntilAnsweredAsync(dealer, "served");
        Assert.Equal(["", "served"], reply.ToStrings());
        Assert.Equal(BinaryStarState.Active, backup.Star.State);
    }

    [Fact]
    public async Task Active_HearsAnotherActive_StopsWithSplitBrain()
    {
        var peerState = Ipc("peer-state");
        await using var peer = new PubSocket(TestUtil.Quick);
        peer.Bind(peerState);
        var primary = Start(BinaryStarRole.Primary, Ipc("frontend"), Ipc("state"), peerState, s_fast);
        using var speaking = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(peer, BinaryStarState.Backup, speaking.Token);
        await primary.Star.WaitForStateAsync(BinaryStarState.Active).WaitAsync(TestUtil.Timeout);
        speaking.Cancel();
        await heartbeats;

        heartbeats = HeartbeatAsync(peer, BinaryStarState.Active, CancellationToken.None, once: true);
        var conflict = await Assert.ThrowsAsync<BinaryStarConflictException>(() => primary.Run.WaitAsync(TestUtil.Timeout));
        Assert.Contains("split brain", conflict.Message);
        await heartbeats;
    }

    [Fact]
    public async Task PrimaryAlone_ServesAClient_AfterTwoSilentHeartbeats()
    {
        var primary = Start(BinaryStarRole.Primary, Ipc("frontend"), Ipc("state"), Ipc("nobody"), s_fast);
        var client = Own(new BinaryStarClient(primary.Star.FrontendEndpoint, Ipc("no-backup"), s_client));
        using var reply = await client.RequestAsync(new Message("alone"));
        Assert.Equal("alone", reply.First.ToString());
        Assert.Equal(BinaryStarState.Active, primary.Star.State);
    }

    [Fact]
    public async Task Client_BothServersDown_ThrowsAfterItsAttempts_NamingBoth()
    {
        var options = new BinaryStarClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(200), SettleDelay = TimeSpan.Zero, MaxAttempts = 3 };
        string first = Ipc("down-1"), second = Ipc("down-2");
        var client = Own(new BinaryStarClient(first, second, options));
        var error = await Assert.ThrowsAsync<BinaryStarUnavailableException>(() => client.RequestAsync(new Message("anyone?")).WaitAsync(TestUtil.Timeout));
        Assert.Equal(3, error.Attempts);
        Assert.Contains(first, error.Message);
        Assert.Contains(second, error.Message);
        Assert.Equal([first, second], error.Endpoints);
    }

    [Fact]
    public async Task RouterFrontend_HandlerSeesNoEnvelope_AndDealerClientsGetTheirReplies()
    {
        var (primary, _) = await StartPairAsync(s_fast, (request, _) =>
        {
            var text = string.Join('+', request.ToStrings());
            request.Dispose();
            return ValueTask.FromResult<Message?>(new Message(text));
        });
        await using var dealer = new DealerSocket(TestUtil.Quick);
        dealer.Connect(primary.Star.FrontendEndpoint);
        await dealer.SendOrFail(new Message("no", "delimiter"));
        using var reply = await dealer.ReceiveOrFail();
        Assert.Equal(["no+delimiter"], reply.ToStrings());
    }

    [Fact]
    public async Task HandlerThatThrows_CostsThatRequestOnly_TheServerGoesOn()
    {
        var (primary, _) = await StartPairAsync(s_fast, (request, _) =>
        {
            var text = request.First.ToString();
            if (text == "boom")
            {
                request.Dispose();
                throw new InvalidOperationException("the handler failed");
            }

            return ValueTask.FromResult<Message?>(request);
        });
        await using var dealer = new DealerSocket(TestUtil.Quick);
        dealer.Connect(primary.Star.FrontendEndpoint);
        await dealer.SendOrFail(new Message("", "boom"));
        await dealer.SendOrFail(new Message("", "fine"));
        using var reply = await dealer.ReceiveOrFail();
        Assert.Equal(["", "fine"], reply.ToStrings());
        Assert.False(primary.Run.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_Twice_Throws_AndDisposeEndsTheRun()
    {
        var primary = Start(BinaryStarRole.Primary, Ipc("frontend"), Ipc("state"), Ipc("nobody"), s_fast);
        await Assert.ThrowsAsync<InvalidOperationException>(() => primary.Star.RunAsync());
        var waiting = primary.Star.WaitForStateAsync(BinaryStarState.Passive);
        await primary.DisposeAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => primary.Run.WaitAsync(TestUtil.Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public void Options_RefuseWhatCannotWork()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryStarOptions { HeartbeatInterval = TimeSpan.Zero });
        Assert.Throws<ArgumentException>(() => new BinaryStarOptions { FrontendType = ZmqSocketType.Rep });
        Assert.Throws<ArgumentException>(() => new BinaryStarOptions { FrontendType = ZmqSocketType.Push });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryStarClientOptions { MaxAttempts = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryStarClientOptions { RequestTimeout = TimeSpan.Zero });
    }

    private static async Task<Message> AskUntilAnsweredAsync(DealerSocket dealer, string text)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            await dealer.SendAsync(new Message("", text), cancel.Token);
            if (await dealer.TryReceiveAsync(TimeSpan.FromMilliseconds(200), cancel.Token) is { } reply)
            {
                return reply;
            }
        }
    }

    private static async Task HeartbeatAsync(PubSocket peer, BinaryStarState state, CancellationToken cancellationToken, bool once = false)
    {
        try
        {
            do
            {
                peer.TrySend(new Message(((int)state).ToString()), TimeSpan.Zero);
                await Task.Delay(50, cancellationToken);
            }
            while (!once);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<(Server Primary, Server Backup)> StartPairAsync(BinaryStarOptions options, Func<Message, CancellationToken, ValueTask<Message?>>? handler = null)
    {
        string primaryState = Ipc("primary-state"), backupState = Ipc("backup-state");
        var primary = Start(BinaryStarRole.Primary, Ipc("primary"), primaryState, backupState, options, handler);
        var backup = Start(BinaryStarRole.Backup, Ipc("backup"), backupState, primaryState, options, handler);
        await primary.Star.WaitForStateAsync(BinaryStarState.Active).WaitAsync(TestUtil.Timeout);
        await backup.Star.WaitForStateAsync(BinaryStarState.Passive).WaitAsync(TestUtil.Timeout);
        return (primary, backup);
    }

    private Server Start(BinaryStarRole role, string frontend, string local, string remote, BinaryStarOptions options, Func<Message, CancellationToken, ValueTask<Message?>>? handler = null)
    {
        var star = new BinaryStar(role, frontend, local, remote, handler ?? Echo, options);
        return Own(new Server(star, star.RunAsync(), frontend, local, remote));
    }

    private static ValueTask<Message?> Echo(Message request, CancellationToken cancellationToken) => ValueTask.FromResult<Message?>(request);

    private T Own<T>(T owned)
        where T : IAsyncDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    private string Ipc(string name) => $"ipc://{Path.Combine(_folder.FullName, name)}";

    private sealed record Server(BinaryStar Star, Task Run, string Frontend, string Local, string Remote) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Star.DisposeAsync();
            await ((Task)Run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
