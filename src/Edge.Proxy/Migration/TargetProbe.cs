using System.Net;
using Edge.Config.Model;

namespace Edge.Proxy.Migration;

/// <summary>
/// The governor's check of a migration target: one GET of its health path with the Host header
/// requests will carry (TLS SNI follows it, so an https target must also present a certificate for
/// that name). Any 2xx passes.
/// </summary>
internal static class TargetProbe
{
    private const string UserAgent = "Edge (migration probe)";

    /// <returns>Null when the target passed; else why it did not, for logs and <c>/admin/migrations</c>.</returns>
    public static async Task<string?> CheckAsync(HttpMessageInvoker client, Uri uri, string host, MigrationOptions options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.HealthCheck.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Version = options.HttpRequest?.Version ?? HttpVersion.Version20,
            VersionPolicy = options.HttpRequest?.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Host = host;
        request.Headers.UserAgent.ParseAdd(UserAgent);
        var what = $"GET {uri} (Host: {host})";
        try
        {
            using var response = await client.SendAsync(request, linked.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"{what} answered {(int)response.StatusCode}; the probe needs a 2xx";
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return $"{what} did not answer within {options.HealthCheck.Timeout}";
        }
        catch (HttpRequestException ex)
        {
            var inner = ex.InnerException is { } cause && !ex.Message.Contains(cause.Message, StringComparison.Ordinal) ? $" {cause.Message}" : string.Empty;
            return $"{what} failed: {ex.Message}{inner}";
        }
    }
}
