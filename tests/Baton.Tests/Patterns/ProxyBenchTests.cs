using System.Text.Json;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary><c>baton bench proxy</c> end to end with tiny counts: it works and reports every path; never how fast.</summary>
[Collection("bench")]
public class ProxyBenchTests
{
    [Fact]
    public async Task Proxy_OverTcp_ReportsEveryPath_AsJson()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "proxy", "--transport", "tcp", "--requests", "300", "--window", "8", "--rounds", "1", "--json");
        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("tcp", report.GetProperty("transport").GetString());
        foreach (var kind in new[] { "latency", "throughput" })
        {
            var paths = report.GetProperty(kind);
            foreach (var path in new[] { "direct", "proxy", "poller-proxy" })
            {
                var figures = paths.GetProperty(path);
                Assert.True(figures.GetProperty("requests_per_second").GetDouble() > 0);
                var p50 = figures.GetProperty("p50_microseconds").GetDouble();
                Assert.True(p50 > 0);
                Assert.True(figures.GetProperty("p99_microseconds").GetDouble() >= p50);
            }
        }
    }

    [Fact]
    public async Task Proxy_RefusesATooSmallSize()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("bench", "proxy", "--size", "4");
        Assert.Equal(1, exit);
        Assert.Contains("--size must be 8 or more", stderr, StringComparison.Ordinal);
    }
}
