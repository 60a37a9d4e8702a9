using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public class MetricsCollection
{
}

/// <summary>Runs alone: the meter is process-wide and other tests would add to its counts.</summary>
[Collection(nameof(MetricsTests))]
public class MetricsTests
{
    [Fact]
    public async Task Meter_CountsMessagesDropsAndConnections()
    {
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Baton")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var type = tags.Length > 0 ? tags[0].Value as string : null;
            totals.AddOrUpdate($"{instrument.Name}/{type}", value, (_, sum) => sum + value);
        });
        listener.Start();

        using var context = new Context();
        await using (var pull = new PullSocket(context: context))
        await using (var push = new PushSocket(context: context))
        {
            push.Connect(pull.Bind("tcp://127.0.0.1:0"));
            for (var i = 0; i < 10; i++)
            {
                await push.SendOrFail(new Message(i.ToString()));
                (await pull.ReceiveOrFail()).Dispose();
            }

            Assert.Equal(1, totals.GetValueOrDefault("baton.connections/PUSH"));
            Assert.Equal(1, totals.GetValueOrDefault("baton.connections/PULL"));
        }

        Assert.Equal(10, totals.GetValueOrDefault("baton.messages.sent/PUSH"));
        Assert.Equal(10, totals.GetValueOrDefault("baton.messages.received/PULL"));
        Assert.Equal(0, totals.GetValueOrDefault("baton.connections/PUSH"));

        await using var router = new RouterSocket(context: context);
        await router.SendOrFail(new Message("nobody", "lost"));
        Assert.Equal(1, totals.GetValueOrDefault("baton.messages.dropped/ROUTER"));
    }
}
