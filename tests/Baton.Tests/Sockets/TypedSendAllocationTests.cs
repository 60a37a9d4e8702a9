using Baton.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Sockets;

public class TypedSendAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SendString_SendJson_AndSerializerSends_AllocateNothingInSteadyState()
    {
        using var context = new Context();
        var options = new SocketOptions { SendHighWatermark = 100_000, ReceiveHighWatermark = 100_000, Linger = TimeSpan.Zero };
        await using var pull = new PullSocket(options, context);
        pull.Bind("inproc://typed-alloc");
        await using var push = new PushSocket(options, context);
        push.Connect("inproc://typed-alloc");
        var order = new Order(1, "widget", 2.5m, ["a"]);
        var readings = new MemoryPackSerializer<Reading>();
        var reading = new Reading { Sensor = 1, Value = 2, Unit = "C" };

        long Measure(Action send)
        {
            // One in, one out, so that the pipe's queue does not grow while we measure.
            for (var i = 0; i < 200; i++)
            {
                send();
                Drain();
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                send();
                Drain();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        void Drain()
        {
            while (pull.TryReceive(out var message, TimeSpan.Zero))
            {
                message.Dispose();
            }
        }

        var strings = Measure(() => push.SendString("hello"));
        var multipart = Measure(() => push.SendStrings("topic", "payload"));
        var json = Measure(() => push.SendJson(order, OrderJsonContext.Default.Order));
        var memoryPack = Measure(() => push.Send(reading, readings));
        output.WriteLine($"bytes per 1000 sends: string {strings}, strings {multipart}, json {json}, memorypack {memoryPack}");
        Assert.Equal(0, strings);
        Assert.Equal(0, multipart);
        Assert.Equal(0, json);
        Assert.Equal(0, memoryPack);
    }
}
