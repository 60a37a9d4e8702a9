using System.Diagnostics;
using System.Text.Json.Nodes;
using Baton.Messages;
using Baton.Patterns;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Nothing Titanic acknowledged is lost: while a client keeps submitting requests, each party is
/// killed with SIGKILL in turn and restarted — the <c>baton titanic</c> process, the echo worker, the
/// <c>baton broker</c> process (stopped and restarted in this process where the CLI has no broker
/// command) and finally the client — and every request that got an id then gets its reply. The worker and the client are pyzmq programs written from the RFCs (Interop/titanic_peer.py).
/// </summary>
public sealed class TitanicDurabilityTests : IAsyncLifetime
{
    private const int Requests = 40;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-titanic-kill-");
    private readonly List<IAsyncDisposable> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime: xunit 2 never calls a test class's IAsyncDisposable.
    public async Task DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }

        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task EveryAcknowledgedRequest_GetsItsReply_ThoughEachPartyIsKilledInTurn()
    {
        var broker = $"ipc://{Path.Combine(_folder.FullName, "broker")}";
        var store = Path.Combine(_folder.FullName, "store");
        var brokerProcess = await StartBrokerAsync(broker);
        var titanic = await StartTitanicAsync(broker, store);
        var worker = await StartWorkerAsync(broker);
        var client = Own(PythonPeer.Start("client", broker, "echo", $"{Requests}", "1000"));

        var acknowledged = new Dictionary<int, string>();
        async Task AcknowledgedAsync(int count)
        {
            while (acknowledged.Count < count)
            {
                var line = await client.ReadAsync();
                if (line["index"] is { } index)
                {
                    acknowledged[(int)index] = (string)line["id"]!;
                }
            }
        }

        await AcknowledgedAsync(8);
        await Kill(titanic);
        titanic = await StartTitanicAsync(broker, store);

        await AcknowledgedAsync(16);
        await Kill(worker);
        worker = await StartWorkerAsync(broker);

        await AcknowledgedAsync(24);
        await Kill(brokerProcess);
        brokerProcess = await StartBrokerAsync(broker);

        await AcknowledgedAsync(32);
        await Kill(client);

        // Every id handed out is answered with its own request's echo, in the end.
        await using var asker = new MajordomoClient(broker, new MajordomoClientOptions { Timeout = TimeSpan.FromSeconds(2), Attempts = 1 });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        foreach (var (index, id) in acknowledged)
        {
            var reply = await ReplyAsync(asker, id, deadline.Token);
            Assert.True(reply == $"request {index}", $"request {index} ({id}) got '{reply}'");
            await CloseAsync(asker, id, deadline.Token);
        }

        Assert.True(acknowledged.Count >= 32);
    }

    /// <summary>Asks titanic.reply until 200, riding out timeouts while parties restart; returns the reply's body.</summary>
    private static async Task<string> ReplyAsync(MajordomoClient asker, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var reply = await asker.RequestAsync(Titanic.ReplyService, new Message(id), cancellationToken);
                var status = reply.First.ToString();
                if (status == "200")
                {
                    return reply.Count == 2 ? reply[1].ToString() : reply.ToString();
                }

                Assert.True(status == "300", $"{id}: titanic.reply said {reply}");
            }
            catch (MajordomoTimeoutException)
            {
                // The broker or Titanic is still coming back.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task CloseAsync(MajordomoClient asker, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var reply = await asker.RequestAsync(Titanic.CloseService, new Message(id), cancellationToken);
                Assert.Equal("200", reply.First.ToString());
                return;
            }
            catch (MajordomoTimeoutException)
            {
            }
        }
    }

    /// <summary>
    /// The broker as a <c>baton broker</c> process; where this build's CLI has no broker command yet,
    /// a broker in this process, stopped and started again instead of killed.
    /// </summary>
    private async Task<IAsyncDisposable> StartBrokerAsync(string endpoint)
    {
        if (await s_brokerCommand.Value)
        {
            var broker = Own(CliProcess.Start("broker", "--bind", endpoint));
            Assert.NotNull(await broker.ReadLineAsync());
            return broker;
        }

        return Own(new InProcessBroker(endpoint));
    }

    // "baton broker --help" shows the root's help where there is no broker command: look for its option.
    private static readonly Lazy<Task<bool>> s_brokerCommand = new(async () => (await CliProcess.RunAsync("broker", "--help")).Stdout.Contains("--bind", StringComparison.Ordinal));

    private sealed class InProcessBroker : IAsyncDisposable
    {
        private readonly MajordomoBroker _broker = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public InProcessBroker(string endpoint)
        {
            _broker.Bind(endpoint);
            _run = _broker.RunAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_run.IsFaulted) { File.WriteAllText("/tmp/bstar-broker-fault.txt", _run.Exception!.ToString()); }
            await _run.WaitAsync(TestUtil.Timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _broker.DisposeAsync();
            _stop.Dispose();
        }
    }

    private async Task<CliProcess> StartTitanicAsync(string broker, string store)
    {
        var titanic = Own(CliProcess.Start("titanic", "--connect", broker, "--store", store, "--timeout", "1"));
        var line = await titanic.ReadLineAsync();
        Assert.StartsWith("titanic:", line);
        return titanic;
    }

    private async Task<PythonPeer> StartWorkerAsync(string broker)
    {
        var worker = Own(PythonPeer.Start("worker", broker, "echo", "2500"));
        await worker.ReadAsync();
        return worker;
    }

    private T Own<T>(T process)
        where T : IAsyncDisposable
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>SIGKILL: disposing a child process kills it, once.</summary>
    private async Task Kill(IAsyncDisposable process)
    {
        _processes.Remove(process);
        await process.DisposeAsync();
    }

    /// <summary>titanic_peer.py in a child process: JSON lines out; dispose kills it (SIGKILL).</summary>
    private sealed class PythonPeer : IAsyncDisposable
    {
        private readonly Process _process;

        private PythonPeer(Process process) => _process = process;

        public static PythonPeer Start(params string[] args)
        {
            var info = new ProcessStartInfo(PatternPeer.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", "titanic_peer.py"));
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            return new PythonPeer(Process.Start(info)!);
        }

        public async Task<JsonNode> ReadAsync()
        {
            var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                ?? throw new InvalidOperationException("titanic_peer.py ended early");
            return JsonNode.Parse(line)!;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
