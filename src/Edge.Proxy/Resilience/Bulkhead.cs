namespace Edge.Proxy.Resilience;

/// <summary>A cap on a cluster's concurrent requests. Beyond it the caller is refused at once, never queued.</summary>
internal sealed class Bulkhead(int limit)
{
    private int _count;

    public int Limit => limit;

    public int Count => Volatile.Read(ref _count);

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _count) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _count);
}
