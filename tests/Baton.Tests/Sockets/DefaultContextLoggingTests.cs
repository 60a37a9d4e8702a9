using System.Net;
using System.Net.Sockets;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Sockets;

public class DefaultContextLoggingTests
{
    [Fact]
    public async Task SetDefaultLoggerFactory_SocketsCreatedAfterwardsLogThroughIt()
    {
        using var capture = new LogCapture();
        Context.SetDefaultLoggerFactory(capture.Factory);
        try
        {
            Assert.Same(capture.Factory, Context.Default.LoggerFactory);
            await using var pull = new PullSocket(TestUtil.Quick);
            Assert.Same(Context.Default, pull.Context);
            var endpoint = pull.Bind("tcp://127.0.0.1:0");

            // A peer that is not ZMTP is dropped, and the drop is logged through the new factory.
            var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
            using var raw = new Socket(AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp);
            await raw.ConnectAsync(IPAddress.Loopback, port);
            await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
            var entry = await capture.WaitForDropAsync("not a ZMTP greeting");
            Assert.Equal("Baton.Sockets.PULL", entry.Category);
        }
        finally
        {
            Context.SetDefaultLoggerFactory(null);
        }

        Assert.Same(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Context.Default.LoggerFactory);
    }
}
