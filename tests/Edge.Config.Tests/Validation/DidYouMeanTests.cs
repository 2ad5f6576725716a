using Edge.Config.Validation;

namespace Edge.Config.Tests.Validation;

public class DidYouMeanTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("Path", "Path", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("Pth", "Path", 1)]
    [InlineData("Pubic", "Public", 1)]
    [InlineData("Pulbic", "Public", 1)]
    [InlineData("LoadBalancingPolcy", "LoadBalancingPolicy", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ab", "ba", 1)]
    // Optimal string alignment: a swapped pair is not edited again, so this is 3, not 2.
    [InlineData("ca", "abc", 3)]
    public void Distance_Pairs_CountsEdits(string a, string b, int expected)
    {
        Assert.Equal(expected, DidYouMean.Distance(a, b));
        Assert.Equal(expected, DidYouMean.Distance(b, a));
    }

    [Theory]
    [InlineData("LoadBalancingPolcy", "LoadBalancingPolicy")]
    [InlineData("loadbalancingpolicy", "LoadBalancingPolicy")]
    [InlineData("Destinatons", "Destinations")]
    [InlineData("Sesionaffinity", "SessionAffinity")]
    [InlineData("HelthCheck", "HealthCheck")]
    [InlineData("HttpRequst", "HttpRequest")]
    public void Suggest_NearMiss_ReturnsKnownName(string unknown, string expected)
    {
        string[] known = ["LoadBalancingPolicy", "SessionAffinity", "HealthCheck", "HttpClient", "HttpRequest", "Destinations", "Metadata"];

        Assert.Equal(expected, DidYouMean.Suggest(unknown, known));
    }

    [Theory]
    [InlineData("Pth", "Path")]
    [InlineData("Pubic", "Public")]
    [InlineData("Admn", "Admin")]
    [InlineData("apii", "api")]
    public void Suggest_ShortWordOneEditAway_ReturnsKnownName(string unknown, string expected)
    {
        string[] known = ["Path", "Public", "Admin", "api", "web"];

        Assert.Equal(expected, DidYouMean.Suggest(unknown, known));
    }

    [Theory]
    // Short words allow one edit; "Pblc" is two away from "Public".
    [InlineData("Pblc")]
    [InlineData("Colour")]
    [InlineData("zzzzzzzzzzzz")]
    [InlineData("Transforms")]
    [InlineData("x")]
    public void Suggest_FarOffWord_ReturnsNull(string unknown)
    {
        string[] known = ["Path", "Public", "Admin", "LoadBalancingPolicy", "Destinations"];

        Assert.Null(DidYouMean.Suggest(unknown, known));
    }

    [Fact]
    public void Suggest_NoKnownNames_ReturnsNull()
    {
        Assert.Null(DidYouMean.Suggest("Path", []));
    }

    [Fact]
    public void Suggest_LongWordThreeEditsAway_ReturnsKnownName()
    {
        // Words of nine or more characters allow up to three edits.
        Assert.Equal("Destinations", DidYouMean.Suggest("Dstnatons", ["Destinations", "Metadata"]));
    }

    [Fact]
    public void Suggest_SeveralCandidates_ReturnsClosest()
    {
        Assert.Equal("HttpRequest", DidYouMean.Suggest("HttpReqest", ["HttpClient", "HttpRequest"]));
    }
}
