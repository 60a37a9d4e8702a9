using System.Text.Json;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>
/// <c>baton bench</c> end to end, with tiny counts: every peer runs and reports every field. These
/// tests check that the benchmark works, never how fast anything is.
/// </summary>
[Collection("bench")]
public class BenchCliTests
{
    [Fact]
    public async Task Throughput_OverTcp_ReportsEveryPeer_AsJson()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "throughput", "--transport", "tcp", "--size", "64", "--count", "2000", "--rounds", "1", "--json");
        Assert.True(exit == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["baton", "baton-message", "libzmq", "baton→libzmq", "libzmq→baton", "baton-message→libzmq", "netmq", "socket"], rows.Select(r => r.GetProperty("peer").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal("throughput", row.GetProperty("kind").GetString());
            Assert.Equal("tcp", row.GetProperty("transport").GetString());
            Assert.Equal(64, row.GetProperty("size").GetInt32());
            Assert.Equal(2000, row.GetProperty("count").GetInt32());
            Assert.True(row.GetProperty("messages_per_second").GetDouble() > 0);
            Assert.True(row.GetProperty("megabytes_per_second").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task Latency_OverIpc_ReportsPercentiles_AsJson()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "latency", "--transport", "ipc", "--count", "300", "--rounds", "1", "--peer", "baton", "--json");
        Assert.True(exit == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["baton", "baton-message"], rows.Select(r => r.GetProperty("peer").GetString()));
        foreach (var row in rows)
        {
            AssertLatencyRow(row);
        }
    }

    [Fact]
    public async Task WithCurve_EveryPeerButThePlainSocket_Runs_BatonAndLibzmqMixedOnTheWire()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "throughput", "--mechanism", "curve", "--count", "2000", "--rounds", "1", "--json");
        Assert.True(exit == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["baton", "baton-message", "libzmq", "baton→libzmq", "libzmq→baton", "baton-message→libzmq", "netmq"], rows.Select(r => r.GetProperty("peer").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal("curve", row.GetProperty("mechanism").GetString());
            Assert.True(row.GetProperty("messages_per_second").GetDouble() > 0);
        }

        (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "latency", "--mechanism", "curve", "--count", "300", "--rounds", "1", "--peer", "libzmq", "--json");
        Assert.True(exit == 0, stderr);
        rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["libzmq", "baton→libzmq", "libzmq→baton"], rows.Select(r => r.GetProperty("peer").GetString()));
        foreach (var row in rows)
        {
            AssertLatencyRow(row);
        }
    }

    private static void AssertLatencyRow(JsonElement row)
    {
        Assert.Equal("latency", row.GetProperty("kind").GetString());
        var p50 = row.GetProperty("p50_us").GetDouble();
        Assert.True(p50 > 0);
        Assert.True(row.GetProperty("p99_us").GetDouble() >= p50);
        Assert.True(row.GetProperty("p999_us").GetDouble() >= row.GetProperty("p99_us").GetDouble());
        Assert.True(row.GetProperty("mean_us").GetDouble() > 0);
    }

    [Fact]
    public async Task Throughput_OverInproc_PrintsTheTable_AndDrawsThePlot()
    {
        var plot = Path.Combine(Path.GetTempPath(), $"baton-plot-{Guid.NewGuid():N}.png");
        try
        {
            var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "throughput", "--transport", "inproc", "--count", "5000", "--rounds", "2", "--plot", plot);
            Assert.True(exit == 0, stderr);
            Assert.Contains("baton", stdout);
            Assert.Contains("Baton / libzmq", stdout);
            var png = await File.ReadAllBytesAsync(plot);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
        finally
        {
            File.Delete(plot);
        }
    }

    [Fact]
    public async Task Connections_ReportsMemoryAndThroughput_AsJson()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("bench", "connections", "--connections", "200", "--messages", "3", "--json");
        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("connections", report.GetProperty("kind").GetString());
        Assert.Equal(200, report.GetProperty("connections").GetInt32());
        Assert.Equal(3, report.GetProperty("messages_per_connection").GetInt32());
        Assert.Equal(8, report.GetProperty("size").GetInt32());
        Assert.True(report.GetProperty("messages_per_second").GetDouble() > 0);
        foreach (var field in (string[])["connect_seconds", "exchange_seconds", "server_bytes_per_connection_working_set", "server_bytes_per_connection_managed", "client_bytes_per_connection_working_set", "client_bytes_per_connection_managed"])
        {
            Assert.True(report.TryGetProperty(field, out _), field);
        }
    }

    [Theory]
    [InlineData("--transport", "udp")]
    [InlineData("--peer", "zeromq")]
    [InlineData("--mechanism", "plain")]
    public async Task BadOptions_FailWithOneLine(string option, string value)
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("bench", "throughput", option, value);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(value, stderr);
    }
}
