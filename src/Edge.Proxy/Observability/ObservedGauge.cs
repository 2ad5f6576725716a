using System.Diagnostics.Metrics;

namespace Edge.Proxy.Observability;

/// <summary>
/// A gauge of the edge's <see cref="EdgeMetrics.Meter"/> whose values come from live state that
/// only the running host knows (YARP's destinations, canary weights). The instrument exists once
/// per process; the host plugs its state in with <see cref="Observe"/>, and the values are read
/// only when metrics are scraped. Until then the gauge reports nothing.
/// </summary>
internal sealed class ObservedGauge<T>
    where T : struct
{
    private Func<IEnumerable<Measurement<T>>>? _source;

    // The meter keeps the instrument alive.
    public ObservedGauge(string name, string description)
        => EdgeMetrics.Meter.CreateObservableGauge(name, Read, unit: null, description: description);

    /// <summary>Makes <paramref name="source"/> the gauge's values; disposing the result unplugs it.</summary>
    public IDisposable Observe(Func<IEnumerable<Measurement<T>>> source)
    {
        Volatile.Write(ref _source, source);
        return new Unplug(this, source);
    }

    private IEnumerable<Measurement<T>> Read() => Volatile.Read(ref _source)?.Invoke() ?? [];

    private sealed class Unplug(ObservedGauge<T> gauge, Func<IEnumerable<Measurement<T>>> source) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref gauge._source, null, source);
    }
}
