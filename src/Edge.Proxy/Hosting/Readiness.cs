namespace Edge.Proxy.Hosting;

/// <summary>Whether the edge should receive new traffic: false once it drains for shutdown.</summary>
public sealed class Readiness
{
    private volatile bool _draining;

    public bool Draining => _draining;

    public void StartDraining() => _draining = true;
}
