using System.Text.Json;
using Edge.Config.Model;
using Edge.Proxy.Hygiene;
using Microsoft.AspNetCore.Http;

namespace Edge.Proxy.Tests.Hygiene;

public sealed class HeaderNamesMiddlewareTests
{
    [Theory]
    [InlineData("X-Plain")]
    [InlineData("x-lower.case")]
    [InlineData("!#$%&'*+-.^`|~")]
    [InlineData("Accept")]
    [InlineData("X-1234567890")]
    public async Task TokenNames_ReachTheNextMiddleware(string name)
    {
        var (status, _, passed) = await InvokeAsync(rejectUnderscores: true, name);

        Assert.True(passed);
        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData("X\u0001Y", "U+0001")]
    [InlineData("X\u007fY", "U+007F")]
    [InlineData("X\u0000", "U+0000")]
    [InlineData("X\tY", "U+0009")]
    [InlineData("X\u00e9", "non-ASCII character U+00E9")]
    [InlineData("X(Y)", "'('")]
    [InlineData("X@Y", "'@'")]
    [InlineData("X/Y", "'/'")]
    [InlineData("X[Y]", "'['")]
    [InlineData("X{Y}", "'{'")]
    [InlineData("X\"Y", "'\"'")]
    [InlineData("X=Y", "'='")]
    [InlineData("X,Y", "','")]
    [InlineData("X;Y", "';'")]
    [InlineData("X\\Y", "'\\'")]
    [InlineData("X?Y", "'?'")]
    [InlineData("X Y", "' '")]
    [InlineData("", "is empty")]
    public async Task NonTokenNames_Get400Problem_WhateverTheUnderscoreSetting(string name, string reason)
    {
        foreach (var rejectUnderscores in new[] { true, false })
        {
            var (status, problem, passed) = await InvokeAsync(rejectUnderscores, name);

            Assert.False(passed);
            Assert.Equal(400, status);
            Assert.Equal("Invalid header name", problem!.RootElement.GetProperty("title").GetString());
            var detail = problem.RootElement.GetProperty("detail").GetString()!;
            Assert.Contains(reason, detail, StringComparison.Ordinal);
            Assert.Contains(HeaderNamesMiddleware.Printable(name), detail, StringComparison.Ordinal);
            Assert.DoesNotMatch("[\u0000-\u0008\u000a-\u001f\u007f]", detail);
        }
    }

    [Fact]
    public async Task UnderscoreName_WithRejectionOn_Gets400NamingTheHeaderAndTheSetting()
    {
        var (status, problem, passed) = await InvokeAsync(rejectUnderscores: true, "X_Forwarded_For");

        Assert.False(passed);
        Assert.Equal(400, status);
        var detail = problem!.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("'X_Forwarded_For'", detail, StringComparison.Ordinal);
        Assert.Contains("Edge:Security:RejectUnderscoreHeaders", detail, StringComparison.Ordinal);
        Assert.Contains("'X-Forwarded-For'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnderscoreName_WithRejectionOff_ReachesTheNextMiddleware()
    {
        var (status, _, passed) = await InvokeAsync(rejectUnderscores: false, "X_Custom");

        Assert.True(passed);
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Update_TurningRejectionOff_AppliesToTheNextRequest()
    {
        var passed = 0;
        var middleware = new HeaderNamesMiddleware(_ => { passed++; return Task.CompletedTask; });
        middleware.Update(new SecurityOptions { RejectUnderscoreHeaders = true });
        await middleware.InvokeAsync(Context("X_A"));
        middleware.Update(new SecurityOptions { RejectUnderscoreHeaders = false });
        await middleware.InvokeAsync(Context("X_A"));

        Assert.Equal(1, passed);
    }

    [Fact]
    public async Task InvokeAsync_TokenNames_AllocatesNothingPerHeader()
    {
        var middleware = new HeaderNamesMiddleware(_ => Task.CompletedTask);
        middleware.Update(new SecurityOptions());
        var few = Context("X-A");
        var many = Context([.. Enumerable.Range(0, 50).Select(i => $"X-Header-{i}")]);
        await middleware.InvokeAsync(few);
        await middleware.InvokeAsync(many);

        var before = GC.GetAllocatedBytesForCurrentThread();
        await middleware.InvokeAsync(few);
        var forFew = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        await middleware.InvokeAsync(many);
        var forMany = GC.GetAllocatedBytesForCurrentThread() - before;

        // The header dictionary's enumerator may be boxed once per request; nothing scales with the headers.
        Assert.Equal(forFew, forMany);
        Assert.True(forMany <= 64, $"{forMany} bytes allocated for one request.");
    }

    private static async Task<(int Status, JsonDocument? Problem, bool Passed)> InvokeAsync(bool rejectUnderscores, string name)
    {
        var passed = false;
        var middleware = new HeaderNamesMiddleware(_ => { passed = true; return Task.CompletedTask; });
        middleware.Update(new SecurityOptions { RejectUnderscoreHeaders = rejectUnderscores });
        var context = Context(name);
        context.Response.Body = new MemoryStream();

        await middleware.InvokeAsync(context);

        if (passed)
        {
            return (context.Response.StatusCode, null, true);
        }

        Assert.Equal("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, await JsonDocument.ParseAsync(context.Response.Body), false);
    }

    private static DefaultHttpContext Context(params string[] names)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Host = "edge";
        foreach (var name in names)
        {
            context.Request.Headers[name] = "v";
        }

        return context;
    }
}
