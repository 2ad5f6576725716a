using Edge.Proxy.Security;

namespace Edge.Proxy.Tests.Security;

public sealed class PathSafetyTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/api/items/7")]
    [InlineData("/a b/caf\u00e9")]
    [InlineData("/item;v=2")]
    [InlineData("/a/..b/c.")]
    [InlineData("/a/...;x")]
    [InlineData("/;")]
    public void PlainPaths_Pass(string? path) => Assert.Null(PathSafety.Check(path));

    [Theory]
    [InlineData("/a\\b", "backslash")]
    [InlineData("/a/..%2Fadmin", "percent sign")]
    [InlineData("/a/%2e%2e", "percent sign")]
    [InlineData("/%", "percent sign")]
    [InlineData("/a/..;/admin", "dot segment")]
    [InlineData("/a/.;x/b", "dot segment")]
    [InlineData("..;", "dot segment")]
    [InlineData("/ok;/..;/x", "dot segment")]
    [InlineData("/a\u0000", "control character")]
    [InlineData("/a\r\nX: 1", "control character")]
    [InlineData("/a\tb", "control character")]
    [InlineData("/a\u007f", "control character")]
    public void AmbiguousPaths_AreNamed(string path, string reason)
        => Assert.Contains(reason, PathSafety.Check(path), StringComparison.Ordinal);
}
