using System.Net;
using Edge.Proxy.Dns;

namespace Edge.Proxy.Tests.Dns;

public sealed class HostsFileTests
{
    [Fact]
    public void Parse_LinesOfAddressAndNames_CommentsAndBlankLinesSkipped()
    {
        var hosts = HostsFile.Parse("""
            # pinned for the migration
            10.0.0.9   new.example.net  new-alias   # trailing comment

            10.0.0.10	new.example.net
            ::1 v6.example.net
            """);

        Assert.True(hosts.TryGet("NEW.example.net", out var addresses));
        Assert.Equal([IPAddress.Parse("10.0.0.9"), IPAddress.Parse("10.0.0.10")], addresses);
        Assert.True(hosts.TryGet("new-alias", out var alias));
        Assert.Equal([IPAddress.Parse("10.0.0.9")], alias);
        Assert.True(hosts.TryGet("v6.example.net", out var v6));
        Assert.Equal([IPAddress.IPv6Loopback], v6);
        Assert.False(hosts.TryGet("other.example.net", out _));
        Assert.Empty(hosts.Problems);
    }

    [Fact]
    public void Parse_BadLines_SkippedAndReportedWithTheirNumber()
    {
        var hosts = HostsFile.Parse("new.example.net 10.0.0.9\n10.0.0.9\n10.0.0.9 ok.example.net\n");

        Assert.Equal(2, hosts.Problems.Count);
        Assert.Contains("line 1: 'new.example.net 10.0.0.9'", hosts.Problems[0], StringComparison.Ordinal);
        Assert.Contains("line 2", hosts.Problems[1], StringComparison.Ordinal);
        Assert.True(hosts.TryGet("ok.example.net", out _));
    }
}
