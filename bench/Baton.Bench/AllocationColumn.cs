using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Baton.Bench;

/// <summary>
/// The unrounded figures behind MemoryDiagnoser's "Allocated" column, which rounds bytes per operation
/// to a whole byte (so "-" means under 0.5 B per message, not none). MemoryDiagnoser measures one extra
/// iteration with <c>GC.GetTotalAllocatedBytes(precise: true)</c>; these columns show how many operations
/// it ran and how many bytes all threads allocated over them.
/// </summary>
public sealed class AllocationColumn : IColumn
{
    /// <summary>Operations (messages, or round trips) in MemoryDiagnoser's measuring iteration.</summary>
    public static readonly IColumn Operations = new AllocationColumn(bytes: false);

    /// <summary>Bytes allocated by all threads over that iteration, unrounded.</summary>
    public static readonly IColumn Bytes = new AllocationColumn(bytes: true);

    private readonly bool _bytes;

    private AllocationColumn(bool bytes) => _bytes = bytes;

    /// <inheritdoc/>
    public string Id => _bytes ? "Baton.AllocatedBytesTotal" : "Baton.AllocatedOperationsTotal";

    /// <inheritdoc/>
    public string ColumnName => _bytes ? "Alloc bytes" : "Alloc ops";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Metric;

    /// <inheritdoc/>
    public int PriorityInCategory => _bytes ? 101 : 100;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => _bytes
        ? "Bytes all threads allocated over 'Alloc ops' operations (unrounded; 'Allocated' is this divided by 'Alloc ops', rounded to a whole byte)"
        : "Operations in MemoryDiagnoser's measuring iteration (one operation = one message, or one round trip)";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.GcStats;
        var allocated = stats?.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: false);
        if (stats is null || allocated is null)
        {
            return "?";
        }

        return (_bytes ? allocated.Value : stats.Value.TotalOperations).ToString("N0", style.CultureInfo);
    }

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) =>
        summary.Reports.Any(r => r.GcStats.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: false) is not null);

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
