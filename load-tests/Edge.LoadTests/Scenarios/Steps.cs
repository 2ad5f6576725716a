using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Scenarios;

/// <summary>The steps the load tests share, and small helpers for the admin API.</summary>
internal static class Steps
{
    /// <summary>GET <paramref name="path"/>: ok on 200 (the message names the origin that answered, from X-Origin), failed otherwise.</summary>
    public static Func<StepContext, CancellationToken, Task<Response>> Get(HttpClient client, string path, string? header = "X-Origin")
        => async (_, cancellationToken) =>
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var tag = header is not null && response.Headers.TryGetValues(header, out var values) ? string.Join(',', values) : null;
            return status == 200 ? Response.Ok(status, tag) : Response.Fail(status, $"{status} from {tag ?? "the edge"}");
        };

    /// <summary>
    /// GET on a route the edge may refuse: 200 ok; the expected refusal, well formed, fails as
    /// "refused"; with <paramref name="alsoShed"/>, a well-formed 503 from the edge-wide concurrency
    /// limit fails as "shed"; anything else as "unexpected".
    /// </summary>
    public static Func<StepContext, CancellationToken, Task<Response>> GetOrRefused(HttpClient client, string path, int refusal, bool alsoShed = false)
        => async (_, cancellationToken) =>
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status == 200)
            {
                return Response.Ok(status);
            }

            var wellFormed = Stack.Http.IsProblem(response, needsRetryAfter: true);
            return Response.Fail(status, (status, wellFormed) switch
            {
                (_, true) when status == refusal => Refused,
                (503, true) when alsoShed => Shed,
                _ => $"unexpected {status}",
            });
        };

    public const string Refused = "refused (problem+json, Retry-After)";

    public const string Shed = "shed by the concurrency limit (problem+json, Retry-After)";

    public static async Task<JsonNode> GetJsonAsync(HttpClient admin, string path)
    {
        using var response = await admin.GetAsync(path).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))!;
    }

    /// <summary>A metric's value from /metrics (the sum of every series whose line starts with the text), 0 when absent.</summary>
    public static async Task<double> MetricAsync(HttpClient admin, string seriesPrefix)
    {
        var text = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)).ConfigureAwait(false);
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(seriesPrefix, StringComparison.Ordinal))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
