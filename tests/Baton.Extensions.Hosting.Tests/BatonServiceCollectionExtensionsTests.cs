using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Baton.Extensions.Hosting.Tests;

public class BatonServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddBaton_GivesOneContext_WhoseSocketsLogThroughTheHostsLogging()
    {
        var logs = new CapturingLoggerProvider();
        var builder = TestHost.CreateBuilder(logs);
        builder.Services.AddBaton();
        using var host = builder.Build();
        await host.StartAsync();

        var context = host.Services.GetRequiredService<Context>();
        Assert.Same(context, host.Services.GetRequiredService<Context>());
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), context.LoggerFactory);

        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        await push.SendAsync(new Message("hello"));
        using (var message = await pull.ReceiveAsync().AsTask().WaitAsync(TestHost.Timeout))
        {
            Assert.Equal("hello", message[0].ToString());
        }

        // Baton's own "connected to peer" event (id 1) reached the host's logging pipeline.
        var entry = await logs.WaitForAsync(e => e.Category == "Baton.Sockets.PUSH" && e.Id.Id == 1, TestHost.Timeout);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Contains("connected to peer", entry.Message);

        await host.StopAsync();
    }

    [Fact]
    public async Task AddBaton_CountsOnTheHostsMeterFactory()
    {
        var builder = TestHost.CreateBuilder();
        builder.Services.AddBaton();
        using var host = builder.Build();
        var meterFactory = host.Services.GetRequiredService<IMeterFactory>();

        var sent = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only the meter the host's factory made: the static meter of other contexts is not it.
            if (instrument.Meter.Name == "Baton" && instrument.Meter.Scope == meterFactory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => sent.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();

        await host.StartAsync();
        var context = host.Services.GetRequiredService<Context>();
        await using (var pull = new PullSocket(context: context))
        await using (var push = new PushSocket(context: context))
        {
            push.Connect(pull.Bind("tcp://127.0.0.1:0"));
            for (var i = 0; i < 3; i++)
            {
                await push.SendAsync(new Message(i.ToString()));
                (await pull.ReceiveAsync().AsTask().WaitAsync(TestHost.Timeout)).Dispose();
            }
        }

        Assert.Equal(3, sent.GetValueOrDefault("baton.messages.sent"));
        Assert.Equal(3, sent.GetValueOrDefault("baton.messages.received"));
        await host.StopAsync();
    }

    [Fact]
    public void AddBaton_CalledTwice_RegistersOneContextAndOneLifetime()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBaton();
        services.AddBaton();

        Assert.Single(services, d => d.ServiceType == typeof(Context));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public void BatonOptions_SetTheContextsIoThreads_InCodeOrFromConfiguration()
    {
        var services = new ServiceCollection();
        services.AddBaton(o => o.IoThreads = 0);
        using (var provider = services.BuildServiceProvider())
        {
            Assert.Equal(0, provider.GetRequiredService<Context>().IoThreads);
        }

        var builder = TestHost.CreateBuilder(configuration: new Dictionary<string, string?> { ["Baton:IoThreads"] = "2" });
        builder.Services.AddBaton();
        builder.Services.Configure<BatonOptions>(builder.Configuration.GetSection("Baton"));
        using var host = builder.Build();
        Assert.Equal(2, host.Services.GetRequiredService<Context>().IoThreads);
    }

    [Fact]
    public async Task NegativeIoThreads_FailStartup()
    {
        var builder = TestHost.CreateBuilder();
        builder.Services.AddBaton(o => o.IoThreads = -1);
        builder.Services.AddBaton();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("BatonOptions.IoThreads", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposingTheProvider_DisposesTheContext()
    {
        var services = new ServiceCollection();
        services.AddBaton();
        var provider = services.BuildServiceProvider();
        var context = provider.GetRequiredService<Context>();
        await provider.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => new PullSocket(context: context));
    }

    [Fact]
    public void ThePackage_UsesOnlyBatonsPublicApi()
    {
        // DESIGN.md: the hosting package sits on the library's public API, so the library must not open its internals to it.
        var friends = typeof(Context).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName);
        Assert.DoesNotContain(friends, name => name.StartsWith("Baton.Extensions", StringComparison.Ordinal));
        Assert.Equal("Baton.Extensions.Hosting", typeof(BatonBuilder).Namespace);
    }
}
