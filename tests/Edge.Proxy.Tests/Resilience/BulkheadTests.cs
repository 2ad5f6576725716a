using Edge.Proxy.Resilience;

namespace Edge.Proxy.Tests.Resilience;

public sealed class BulkheadTests
{
    [Fact]
    public void TryEnter_AtLimit_RefusesUntilOneExits()
    {
        var bulkhead = new Bulkhead(2);

        Assert.True(bulkhead.TryEnter());
        Assert.True(bulkhead.TryEnter());
        Assert.False(bulkhead.TryEnter());
        Assert.Equal(2, bulkhead.Count);

        bulkhead.Exit();
        Assert.True(bulkhead.TryEnter());
    }
}
