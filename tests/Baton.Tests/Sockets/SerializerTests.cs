using System.Buffers;
using Baton.Messages;
using Baton.Sockets;
using MemoryPack;
using Xunit;

namespace Baton.Tests.Sockets;

[MemoryPackable]
public sealed partial class Reading
{
    public int Sensor { get; set; }

    public double Value { get; set; }

    public string Unit { get; set; } = "";
}

/// <summary>MemoryPack plugged into Baton: the few lines the README shows.</summary>
public sealed class MemoryPackSerializer<T> : IMessageSerializer<T>
{
    public void Serialize(IBufferWriter<byte> writer, T value) => MemoryPackSerializer.Serialize(writer, value);

    public T Deserialize(ReadOnlySequence<byte> data) => MemoryPackSerializer.Deserialize<T>(data)!;
}

public class SerializerTests
{
    private static readonly MemoryPackSerializer<Reading> Readings = new();

    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task TypedMessages_RoundTrip_ThroughAPluggedSerializer(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);

        await push.SendAsync(new Reading { Sensor = 7, Value = 21.5, Unit = "°C" }, Readings, cancel.Token);
        var reading = await pull.ReceiveAsync(Readings, cancel.Token);
        Assert.Equal((7, 21.5, "°C"), (reading.Sensor, reading.Value, reading.Unit));

        push.Send(new Reading { Sensor = 8, Value = -1, Unit = new string('x', 100_000) }, Readings);
        var large = pull.Receive(Readings);
        Assert.Equal(8, large.Sensor);
        Assert.Equal(100_000, large.Unit.Length);

        // The frame holds exactly MemoryPack's bytes.
        push.Send(new Reading { Sensor = 9 }, Readings);
        using var raw = await pull.ReceiveOrFail();
        Assert.Equal(MemoryPackSerializer.Serialize(new Reading { Sensor = 9 }), raw.GetSpan(0).ToArray());
    }

    [Fact]
    public async Task Receive_MultipartOrBadBytes_Throws_AndTheSocketGoesOn()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://serializer-bad");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect("inproc://serializer-bad");

        await push.SendStringsAsync(["a", "b"]);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await pull.ReceiveAsync(Readings));

        var whole = MemoryPackSerializer.Serialize(new Reading { Sensor = 1, Unit = "truncated" });
        push.Send(whole.AsSpan(0, whole.Length - 4));
        Assert.ThrowsAny<Exception>(() => pull.Receive(Readings));

        push.Send(new Reading { Sensor = 3 }, Readings);
        Assert.Equal(3, pull.Receive(Readings).Sensor);
    }

    [Fact]
    public async Task Send_ASerializerThatThrows_SendsNothing_AndTheNextSendWorks()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://serializer-throws");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect("inproc://serializer-throws");

        Assert.Throws<InvalidOperationException>(() => push.Send(1, new Failing()));
        await push.SendAsync(new Reading { Sensor = 4 }, Readings);
        Assert.Equal(4, (await pull.ReceiveAsync(Readings)).Sensor);
        Assert.Null(await pull.TryReceiveAsync(TimeSpan.Zero));
    }

    private sealed class Failing : IMessageSerializer<int>
    {
        public void Serialize(IBufferWriter<byte> writer, int value)
        {
            writer.GetSpan(10);
            writer.Advance(10);
            throw new InvalidOperationException("cannot");
        }

        public int Deserialize(ReadOnlySequence<byte> data) => 0;
    }
}
