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

/// <summary>Runs alone: the static meter is process-wide and other tests would add to its counts.</summary>
[Collection(nameof(MetricsTests))]
public class MetricsTests
{
    [Fact]
    public async Task Meter_CountsMessagesDropsAndConnections()
    {
        using var recorder = new Recorder(meter => meter.Name == "Baton" && meter.Scope is null);
        var pushBefore = recorder.Connections("PUSH");
        var pullBefore = recorder.Connections("PULL");

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

            Assert.Equal(pushBefore + 1, recorder.Connections("PUSH"));
            Assert.Equal(pullBefore + 1, recorder.Connections("PULL"));
        }

        Assert.Equal(10, recorder.Total("baton.messages.sent/PUSH"));
        Assert.Equal(10, recorder.Total("baton.messages.received/PULL"));
        Assert.Equal(pushBefore, recorder.Connections("PUSH"));

        await using var router = new RouterSocket(context: context);
        await router.SendOrFail(new Message("nobody", "lost"));
        Assert.Equal(1, recorder.Total("baton.messages.dropped/ROUTER"));
    }

    [Fact]
    public async Task ContextWithMeterFactory_CountsOnTheFactorysMeterOnly()
    {
        using var factory = new TestMeterFactory();
        using var mine = new Recorder(meter => meter.Scope == factory);
        using var shared = new Recorder(meter => meter.Name == "Baton" && meter.Scope is null);

        await using var context = new Context(meterFactory: factory);
        await using (var pull = new PullSocket(context: context))
        await using (var push = new PushSocket(context: context))
        {
            push.Connect(pull.Bind("tcp://127.0.0.1:0"));
            for (var i = 0; i < 5; i++)
            {
                await push.SendOrFail(new Message(i.ToString()));
                (await pull.ReceiveOrFail()).Dispose();
            }

            Assert.Equal(1, mine.Connections("PUSH"));
            Assert.Equal(1, mine.Connections("PULL"));
        }

        Assert.Equal(5, mine.Total("baton.messages.sent/PUSH"));
        Assert.Equal(5, mine.Total("baton.messages.received/PULL"));
        Assert.Equal(0, mine.Connections("PUSH"));
        Assert.Equal(0, shared.Total("baton.messages.sent/PUSH"));
        Assert.Equal(0, shared.Total("baton.messages.received/PULL"));
        Assert.Equal(["Baton"], mine.MeterNames);
    }

    [Fact]
    public async Task Connections_AListenerThatAttachesLate_ReadsTheCurrentCount()
    {
        using var factory = new TestMeterFactory();
        await using var context = new Context(meterFactory: factory);
        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        await using var push2 = new PushSocket(context: context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        push.Connect(endpoint);
        push2.Connect(endpoint);
        await push.SendOrFail(new Message("a"));
        await push2.SendOrFail(new Message("b"));
        (await pull.ReceiveOrFail()).Dispose();
        (await pull.ReceiveOrFail()).Dispose();

        // Attached after the connections came: an up-down counter would show 0 here.
        using var late = new Recorder(meter => meter.Scope == factory);
        Assert.Equal(2, late.Connections("PUSH"));
        Assert.Equal(2, late.Connections("PULL"));

        await push2.DisposeAsync();
        Assert.Equal(1, late.Connections("PUSH"));
    }

    [Fact]
    public async Task ContextsSharingAMeterFactory_ShareOneConnectionsInstrument()
    {
        using var factory = new TestMeterFactory();
        await using var first = new Context(meterFactory: factory);
        await using var second = new Context(meterFactory: factory);
        await using var pull = new PullSocket(context: first);
        await using var push = new PushSocket(context: second);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        await push.SendOrFail(new Message("a"));
        (await pull.ReceiveOrFail()).Dispose();

        using var recorder = new Recorder(meter => meter.Scope == factory);
        Assert.Equal(1, recorder.Published("baton.connections"));
        Assert.Equal(1, recorder.Connections("PUSH"));
        Assert.Equal(1, recorder.Connections("PULL"));
    }

    /// <summary>Sums counters and keeps the last observed connections per socket type, for the meters it is told to.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _totals = new();
        private readonly ConcurrentDictionary<string, long> _observed = new();
        private readonly ConcurrentDictionary<string, int> _published = new();
        private readonly ConcurrentDictionary<string, bool> _meters = new();

        public Recorder(Func<Meter, bool> select)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (select(instrument.Meter))
                {
                    _meters[instrument.Meter.Name] = true;
                    _published.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var key = $"{instrument.Name}/{(tags.Length > 0 ? tags[0].Value as string : null)}";
                if (instrument is ObservableUpDownCounter<long>)
                {
                    _observed[key] = value;
                }
                else
                {
                    _totals.AddOrUpdate(key, value, (_, sum) => sum + value);
                }
            });
            _listener.Start();
        }

        public string[] MeterNames => [.. _meters.Keys];

        public long Total(string key) => _totals.GetValueOrDefault(key);

        public int Published(string instrument) => _published.GetValueOrDefault(instrument);

        public long Connections(string socketType)
        {
            _observed.Clear();
            _listener.RecordObservableInstruments();
            return _observed.GetValueOrDefault("baton.connections/" + socketType);
        }

        public void Dispose() => _listener.Dispose();
    }
}
