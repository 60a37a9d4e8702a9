using System.Diagnostics.Metrics;

namespace Baton.Tests.Sockets;

/// <summary>
/// An <see cref="IMeterFactory"/> as a host has one: one meter per name, scoped to the factory, disposed
/// with it (Microsoft.Extensions.Diagnostics' is internal to its package).
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly Dictionary<string, Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        lock (_meters)
        {
            if (!_meters.TryGetValue(options.Name, out var meter))
            {
                meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
                _meters.Add(options.Name, meter);
            }

            return meter;
        }
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters.Values)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
