namespace Edge.Config.LoadBalancing;

/// <summary>
/// The share of a cluster's clients on the canary side, in tickets out of
/// <see cref="ClientTicket.Range"/> (basis points). Owned by the cluster's rollout, which moves
/// it; read by the load-balancing policy on every request, so it is one volatile field.
/// </summary>
public sealed class CanaryShare(int basisPoints)
{
    private int _basisPoints = basisPoints;

    public int BasisPoints
    {
        get => Volatile.Read(ref _basisPoints);
        set => Volatile.Write(ref _basisPoints, Math.Clamp(value, 0, ClientTicket.Range));
    }

    public static int FromPercent(int percent) => percent * (ClientTicket.Range / 100);
}
