using System.Text.Json;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// <c>baton bench broker</c> end to end with tiny counts: both brokers run and every row reports every
/// field. It checks that the benchmark works, never how fast anything is.
/// </summary>
[Collection("bench")]
public class BrokerBenchTests
{
    [Fact]
    public async Task BenchBroker_MeasuresBatonsBrokerAndThePythonOne_AsJson()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "broker", "--workers", "2", "--requests", "300", "--clients", "2", "--window", "4", "--json");
        Assert.True(exit == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["baton/2", "python/2"], rows.Select(r => $"{r.GetProperty("broker").GetString()}/{r.GetProperty("workers").GetInt32()}"));
        foreach (var row in rows)
        {
            Assert.Equal("broker", row.GetProperty("kind").GetString());
            Assert.Equal("majordomo", row.GetProperty("topology").GetString());
            Assert.Equal(300, row.GetProperty("requests").GetInt32());
            Assert.True(row.GetProperty("requests_per_second").GetDouble() > 0);
            var p50 = row.GetProperty("p50_us").GetDouble();
            Assert.True(p50 > 0);
            Assert.True(row.GetProperty("p99_us").GetDouble() >= p50);
            Assert.True(row.GetProperty("broker_cpu_us_per_request").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task BenchBroker_WithABadWorkerCount_SaysSoInOneLine()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("bench", "broker", "--workers", "1,zero");
        Assert.Equal(1, exit);
        Assert.Contains("--workers", stderr, StringComparison.Ordinal);
    }
}
