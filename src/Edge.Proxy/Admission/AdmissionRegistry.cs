using Edge.Config;

namespace Edge.Proxy.Admission;

/// <summary>Holds the current <see cref="AdmissionState"/> and rebuilds it on each applied config.</summary>
internal sealed class AdmissionRegistry(TimeProvider timeProvider)
{
    /// <summary>How long a replaced limiter lives on for requests that took a permit from it before the reload.</summary>
    internal static readonly TimeSpan RetireAfter = TimeSpan.FromMinutes(5);

    private readonly Lock _updating = new();
    private volatile AdmissionState _current = AdmissionState.Empty;

    public AdmissionState Current => _current;

    public void Update(EdgeConfigSnapshot snapshot)
    {
        var retired = new List<IDisposable>();
        lock (_updating)
        {
            _current = AdmissionState.Build(snapshot, _current, retired);
        }

        if (retired.Count > 0)
        {
            _ = DisposeLaterAsync(retired);
        }
    }

    private async Task DisposeLaterAsync(List<IDisposable> retired)
    {
        await Task.Delay(RetireAfter, timeProvider).ConfigureAwait(false);
        foreach (var item in retired)
        {
            item.Dispose();
        }
    }
}
