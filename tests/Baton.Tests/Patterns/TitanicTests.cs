using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Titanic (9/TSP) in one process with a Majordomo broker: a request is on the disk when its id is
/// handed out, is delivered when its service has a worker (300 until then), its reply is kept until
/// closed; ids that are unknown or malformed get 400; a restarted Titanic delivers what it stored.
/// </summary>
public sealed class TitanicTests : IAsyncLifetime
{
    private static readonly MajordomoWorkerOptions s_fastWorker = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        ReconnectInterval = TimeSpan.FromMilliseconds(100),
    };

    private static readonly TitanicOptions s_fast = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        RetryInterval = TimeSpan.FromMilliseconds(100),
        WorkerOptions = s_fastWorker,
    };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-titanic-");
    private readonly Context _context = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _runs = [];
    private readonly MajordomoBroker _broker;
    private readonly string _endpoint;
    private readonly MajordomoClient _client;

    public TitanicTests()
    {
        _broker = new MajordomoBroker(new MajordomoBrokerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) }, _context);
        _endpoint = _broker.Bind("tcp://127.0.0.1:0");
        _runs.Add(_broker.RunAsync(_stop.Token));
        _client = new MajordomoClient(_endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, _context);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime: xunit 2 never calls a test class's IAsyncDisposable.
    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var run in _runs)
        {
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                // How Titanic stops; any other failure fails the test.
            }
        }
        await _client.DisposeAsync();
        await _broker.DisposeAsync();
        await _context.DisposeAsync();
        _stop.Dispose();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Request_IsStoredBeforeItsId_DeliveredToTheService_ReplyKeptUntilClosed()
    {
        var store = StartTitanic();
        StartEcho("echo");

        var id = await SubmitAsync("echo", "hello", "world");
        // On the disk already, as a reopened store (another process after a crash) sees it.
        Assert.True(new TitanicStore(_folder.FullName).HasRequest(id));

        using (var reply = await WaitForReplyAsync(id))
        {
            Assert.Equal(["200", "hello", "world"], reply.ToStrings());
        }

        // titanic.reply is idempotent: asked again, the same answer.
        using (var again = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(id)))
        {
            Assert.Equal(["200", "hello", "world"], again.ToStrings());
        }

        using (var closed = await AskAsync(Titanic.CloseService, TitanicStore.FormatId(id)))
        {
            Assert.Equal(["200"], closed.ToStrings());
        }

        using (var gone = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(id)))
        {
            Assert.Equal(["400"], gone.ToStrings());
        }

        Assert.False(store.HasRequest(id));
    }

    [Fact]
    public async Task ServiceWithoutWorker_Pending300_ThenDeliveredWhenAWorkerComes()
    {
        StartTitanic();
        var id = await SubmitAsync("late", "waiting");
        using (var pending = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(id)))
        {
            Assert.Equal(["300"], pending.ToStrings());
        }

        StartEcho("late");
        using var reply = await WaitForReplyAsync(id);
        Assert.Equal(["200", "waiting"], reply.ToStrings());
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("not-an-id")]
    [InlineData("../../etc/passwd")]
    public async Task UnknownOrMalformedId_Reply400_Close200(string id)
    {
        StartTitanic();
        using (var reply = await AskAsync(Titanic.ReplyService, id))
        {
            Assert.Equal(["400"], reply.ToStrings());
        }

        using (var close = await AskAsync(Titanic.CloseService, id))
        {
            Assert.Equal(["200"], close.ToStrings());
        }
    }

    [Fact]
    public async Task RequestWithoutABody_Is400_AndNothingIsStored()
    {
        StartTitanic();
        using var reply = await AskAsync(Titanic.RequestService, "echo");
        Assert.StartsWith("400", reply.First.ToString());
        Assert.Empty(Directory.GetFiles(_folder.FullName));
    }

    [Fact]
    public async Task ReplyFileItCannotRead_Is500_AndTheServerGoesOn()
    {
        StartTitanic();
        var id = await SubmitAsync("nobody", "x");
        await File.WriteAllTextAsync(Path.Combine(_folder.FullName, $"{TitanicStore.FormatId(id)}.reply"), "not a reply");
        using (var reply = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(id)))
        {
            Assert.Equal(["500"], reply.ToStrings());
        }

        using var unknown = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(Guid.NewGuid()));
        Assert.Equal(["400"], unknown.ToStrings());
    }

    [Fact]
    public async Task RequestsStoredBeforeARestart_AreDeliveredAfterIt()
    {
        var first = new CancellationTokenSource();
        var titanic = new Titanic(_endpoint, new TitanicStore(_folder.FullName), s_fast, _context);
        var run = titanic.RunAsync(first.Token);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await SubmitAsync("later", $"{i}"));
        }

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
        first.Dispose();

        StartEcho("later");
        StartTitanic();
        for (var i = 0; i < ids.Count; i++)
        {
            using var reply = await WaitForReplyAsync(ids[i]);
            Assert.Equal(["200", $"{i}"], reply.ToStrings());
        }
    }

    private TitanicStore StartTitanic()
    {
        var store = new TitanicStore(_folder.FullName);
        _runs.Add(new Titanic(_endpoint, store, s_fast, _context).RunAsync(_stop.Token));
        return store;
    }

    private void StartEcho(string service)
    {
        var worker = new MajordomoWorker(_endpoint, service, s_fastWorker, _context);
        _runs.Add(RunAndDisposeAsync(worker));

        async Task RunAndDisposeAsync(MajordomoWorker worker)
        {
            await using (worker)
            {
                await worker.RunAsync((request, _) => ValueTask.FromResult(request), _stop.Token);
            }
        }
    }

    private async Task<Guid> SubmitAsync(string service, params string[] body)
    {
        using var reply = await AskAsync(Titanic.RequestService, [service, .. body]);
        Assert.Equal("200", reply[0].ToString());
        Assert.True(TitanicStore.TryParseId(reply.GetSpan(1), out var id), reply.ToString());
        return id;
    }

    /// <summary>Asks titanic.reply until it answers 200 (300 meanwhile); the reply is the caller's.</summary>
    private async Task<Message> WaitForReplyAsync(Guid id)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var reply = await AskAsync(Titanic.ReplyService, TitanicStore.FormatId(id));
            var status = reply.First.ToString();
            if (status == "200")
            {
                return reply;
            }

            reply.Dispose();
            Assert.Equal("300", status);
            await Task.Delay(50, cancel.Token);
        }
    }

    private async Task<Message> AskAsync(string service, params string[] frames)
    {
        // The titanic.* workers may not be registered yet: mmi.service first, as a TSP client would retry.
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            using var known = await _client.RequestAsync("mmi.service", new Message(service), cancel.Token);
            if (known.ToString() == "200")
            {
                break;
            }

            await Task.Delay(20, cancel.Token);
        }

        return await _client.RequestAsync(service, new Message(frames), cancel.Token);
    }
}
