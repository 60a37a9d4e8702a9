using Baton.Engine;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>
/// The code after <c>await socket.DisposeAsync()</c> is the application's: it must not run on Baton's I/O
/// thread, where one blocking call of its own (a sync receive, sync-over-async) stalls every connection of
/// the context until it returns.
/// </summary>
public class DisposeContinuationTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task DisposeAsync_ResumesTheCallerOffTheIoThread(string transport)
    {
        for (var round = 0; round < 20; round++)
        {
            var pull = new PullSocket();
            var push = new PushSocket();
            var endpoint = pull.Bind(TestUtil.Endpoint(transport));
            push.Connect(endpoint);
            await push.SendAsync(new Message("ping"));
            using (var received = await pull.ReceiveAsync())
            {
                Assert.Equal("ping", received.First.ToString());
            }

            await push.DisposeAsync();
            Assert.False(IoThread.OnAnyIoThread, $"round {round}: resumed on the I/O thread after the connecting socket's close");
            await pull.DisposeAsync();
            Assert.False(IoThread.OnAnyIoThread, $"round {round}: resumed on the I/O thread after the binding socket's close");
        }
    }
}
