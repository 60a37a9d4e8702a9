using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Baton.Extensions.Hosting.Tests;

public class ShutdownTests
{
    [Fact]
    public async Task ASocketAHostedServiceLeftOpen_IsClosedWhenTheHostStops()
    {
        var builder = TestHost.CreateBuilder();
        builder.Services.AddBaton();
        builder.Services.AddSingleton<ListeningService>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ListeningService>());
        using var host = builder.Build();
        await host.StartAsync();
        var service = host.Services.GetRequiredService<ListeningService>();
        var endpoint = service.Pull!.LastEndpoint!;

        await host.StopAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => service.Pull.ReceiveAsync().AsTask().WaitAsync(TestHost.Timeout));

        // Its port is free again: nothing listens there any more.
        await using var again = new PullSocket();
        Assert.Equal(endpoint, again.Bind(endpoint));
    }

    [Fact]
    public async Task TheHost_StopsWithinItsShutdownTimeout_WithMessagesQueuedForAnAbsentPeer()
    {
        var port = TestHost.FreeTcpPort();
        var builder = TestHost.CreateBuilder(configuration: new Dictionary<string, string?>
        {
            // The worst case: a linger that waits for ever for the absent peer.
            ["Baton:Sockets:out:Linger"] = "Infinite",
            ["Worker:Endpoint"] = $"tcp://127.0.0.1:{port}",
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddBaton().AddSocketOptions("out", builder.Configuration.GetSection("Baton:Sockets:out"));
        builder.Services.AddSingleton<SendingWorker>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<SendingWorker>());
        using var host = builder.Build();
        await host.StartAsync();
        var worker = host.Services.GetRequiredService<SendingWorker>();
        await worker.Queued.Task.WaitAsync(TestHost.Timeout);

        var clock = Stopwatch.StartNew();
        await host.StopAsync().WaitAsync(TestHost.Timeout);
        await worker.ExecuteTask!.WaitAsync(TestHost.Timeout);
        await Task.Run(host.Dispose).WaitAsync(TestHost.Timeout);

        // One second of shutdown timeout, and some room for a loaded machine; not the infinite linger.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the host took {clock.Elapsed} to stop");
    }

    [Fact]
    public async Task QueuedMessages_StillReachALivePeer_WhenTheHostStops()
    {
        await using var pull = new PullSocket();
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var builder = TestHost.CreateBuilder();
        builder.Services.AddBaton();
        using var host = builder.Build();
        await host.StartAsync();

        // A socket that nobody closes: the host's stop delivers its queue within the linger.
        var push = new PushSocket(context: host.Services.GetRequiredService<Context>());
        push.Connect(endpoint);
        for (var i = 0; i < 100; i++)
        {
            await push.SendAsync(new Message(i.ToString()));
        }

        await host.StopAsync().WaitAsync(TestHost.Timeout);

        for (var i = 0; i < 100; i++)
        {
            using var message = await pull.ReceiveAsync().AsTask().WaitAsync(TestHost.Timeout);
            Assert.Equal(i.ToString(), message[0].ToString());
        }
    }

    /// <summary>Binds a PULL on start and never closes it: the context's lifetime must.</summary>
    private sealed class ListeningService(Context context) : IHostedService
    {
        public PullSocket? Pull { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Pull = new PullSocket(context: context);
            Pull.Bind("tcp://127.0.0.1:0");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Queues a message for a peer that never comes, and closes its socket itself on the way out.</summary>
    private sealed class SendingWorker(Context context, IOptionsMonitor<SocketOptions> options, Microsoft.Extensions.Configuration.IConfiguration configuration) : BackgroundService
    {
        public TaskCompletionSource Queued { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await using var push = new PushSocket(options.Get("out"), context);
            push.Connect(configuration["Worker:Endpoint"]!);
            await push.SendAsync(new Message("nobody reads this"), stoppingToken);
            Queued.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the await using closes the socket, whose linger would wait for ever.
            }
        }
    }
}
