using System.Globalization;
using System.Text.Json;
using ScottPlot;
using Spectre.Console;

namespace Baton.Bench.Cli;

/// <summary>The three ways a run reports: a table with ratios, a JSON array, a bar chart.</summary>
internal static class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static string ToJson(IReadOnlyList<Measurement> measurements) => JsonSerializer.Serialize(measurements, JsonOptions);

    public static void WriteTable(IAnsiConsole console, BenchSettings settings, IReadOnlyList<Measurement> rows)
    {
        var throughput = settings.Kind == "throughput";
        var security = settings.Curve ? ", CURVE" : "";
        var table = new Table().Title($"{settings.Kind}, {settings.Transport}{security}, {settings.Size} B × {settings.Count:N0}, median of {settings.Rounds} rounds");
        table.AddColumn("peer");
        if (throughput)
        {
            table.AddColumn(new TableColumn("msg/s").RightAligned());
            table.AddColumn(new TableColumn("MB/s").RightAligned());
            table.AddColumn(new TableColumn("receiver B/msg").RightAligned());
        }
        else
        {
            foreach (var name in (string[])["mean µs", "p50 µs", "p99 µs", "p99.9 µs"])
            {
                table.AddColumn(new TableColumn(name).RightAligned());
            }
        }

        foreach (var row in rows)
        {
            table.AddRow(throughput
                ? [row.Peer, Format(row.MessagesPerSecond, "N0"), Format(row.MegabytesPerSecond, "N1"), Format(row.ReceiverBytesAllocatedPerMessage, "N1")]
                : [row.Peer, Format(row.MeanUs, "N1"), Format(row.P50Us, "N1"), Format(row.P99Us, "N1"), Format(row.P999Us, "N1")]);
        }

        console.Write(table);
        if (settings.Curve && settings.Peer is "all" or "socket")
        {
            console.MarkupLine(Markup.Escape("CURVE run: the plain .NET socket baseline has no security and is left out."));
        }

        foreach (var line in Ratios(settings, rows))
        {
            console.MarkupLine(Markup.Escape(line));
        }
    }

    /// <summary>Baton against each reference, in words that say which way is better.</summary>
    public static List<string> Ratios(BenchSettings settings, IReadOnlyList<Measurement> rows)
    {
        var lines = new List<string>();
        foreach (var (label, title) in (ReadOnlySpan<(string, string)>)[("baton", "Baton"), ("baton-message", "Baton (idiomatic)")])
        {
            var baton = Find(rows, label);
            if (baton is null)
            {
                continue;
            }

            foreach (var reference in (string[])["libzmq", "netmq", "socket"])
            {
                var other = Find(rows, reference);
                if (other is null || other.Headline == 0)
                {
                    continue;
                }

                var name = reference == "socket" ? "a plain .NET socket" : reference;
                lines.Add(settings.Kind == "throughput"
                    ? $"{title} / {name}: {baton.Headline / other.Headline:F2}× the messages per second (higher is better)"
                    : $"{title} / {name}: {baton.P50Us / other.P50Us:F2}× the median and {baton.P99Us / other.P99Us:F2}× the p99 round trip (lower is better)");
            }
        }

        return lines;
    }

    public static void WritePlot(string path, BenchSettings settings, IReadOnlyList<Measurement> rows)
    {
        var plot = new Plot();
        var throughput = settings.Kind == "throughput";
        var ticks = new Tick[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (throughput)
            {
                plot.Add.Bar(new Bar { Position = i, Value = row.MessagesPerSecond ?? 0, FillColor = ColorFor(row.Peer) });
            }
            else
            {
                plot.Add.Bar(new Bar { Position = i - 0.2, Value = row.P50Us ?? 0, Size = 0.4, FillColor = ColorFor(row.Peer) });
                plot.Add.Bar(new Bar { Position = i + 0.2, Value = row.P99Us ?? 0, Size = 0.4, FillColor = ColorFor(row.Peer).WithAlpha(0.5) });
            }

            ticks[i] = new Tick(i, row.Peer);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{settings.Kind}, {settings.Transport}{(settings.Curve ? ", CURVE" : "")}, {settings.Size} B (median of {settings.Rounds} rounds)");
        plot.YLabel(throughput ? "messages per second" : "round trip µs (solid p50, light p99)");
        plot.SavePng(path, 900, 500);
    }

    private static ScottPlot.Color ColorFor(string peer) => peer switch
    {
        "baton" => ScottPlot.Color.FromHex("#2b6cb0"),
        "baton-message" => ScottPlot.Color.FromHex("#4299e1"),
        "libzmq" => ScottPlot.Color.FromHex("#c05621"),
        "netmq" => ScottPlot.Color.FromHex("#6b46c1"),
        "socket" => ScottPlot.Color.FromHex("#718096"),
        _ => ScottPlot.Color.FromHex("#2f855a"),
    };

    private static Measurement? Find(IReadOnlyList<Measurement> rows, string peer)
    {
        foreach (var row in rows)
        {
            if (row.Peer == peer)
            {
                return row;
            }
        }

        return null;
    }

    private static string Format(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";
}
