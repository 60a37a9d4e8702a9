using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>Pipe: two ends, both directions, one-way pipes, closing.</summary>
public class PipeTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public void Duplex_BothDirections()
    {
        var (left, right) = Pipe.Create();
        using (left)
        using (right)
        {
            left.Send("ping");
            Assert.True(right.Poll(Generous));
            Assert.Equal("ping", right.Receive<string>(Generous));
            right.Send(42);
            Assert.Equal(42, left.Receive<int>(Generous));
            right.SendBytes([1, 2, 3]);
            Assert.Equal([1, 2, 3], left.ReceiveBytes(Generous));
            Assert.False(left.Poll());
        }
    }

    [Fact]
    public void OneWay_FirstReceivesSecondSends()
    {
        var (reader, writer) = Pipe.Create(duplex: false);
        using (reader)
        using (writer)
        {
            writer.Send("x");
            Assert.Equal("x", reader.Receive<string>(Generous));
            Assert.Throws<InvalidOperationException>(() => reader.Send("no"));
            Assert.Throws<InvalidOperationException>(() => writer.Receive<string>());
        }
    }

    [Fact]
    public void Close_PeerDrainsThenSeesEndOfStream_AndSendsBreak()
    {
        var (left, right) = Pipe.Create();
        using (left)
        using (right)
        {
            left.Send(1);
            left.Close();
            Assert.Equal(1, right.Receive<int>(Generous));
            Assert.Throws<EndOfStreamException>(() => right.Receive<int>(Generous));
            Assert.Throws<IOException>(() => right.Send(2));
            Assert.Throws<IOException>(() => right.SendAsync(2).AsTask().GetAwaiter().GetResult());
            Assert.Throws<IOException>(() => right.SendBytesAsync(new byte[] { 2 }).AsTask().GetAwaiter().GetResult());
        }
    }

    [Fact]
    public async Task Async_ReceiveWaitsForSend()
    {
        var (left, right) = Pipe.Create();
        using (left)
        using (right)
        {
            var pending = right.ReceiveAsync<string>();
            await left.SendAsync("later");
            Assert.Equal("later", await pending.AsTask().WaitAsync(Generous));
        }
    }
}
