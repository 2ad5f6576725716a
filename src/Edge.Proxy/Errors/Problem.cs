using System.Diagnostics;
using System.Text.Json;

namespace Edge.Proxy.Errors;

/// <summary>Writes the responses the edge itself makes, as <c>application/problem+json</c> (RFC 9457).</summary>
public static class Problem
{
    public const string ContentType = "application/problem+json";

    /// <summary>What a 503 tells clients to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static Task WriteAsync(HttpContext context, int status, string title, string detail, TimeSpan? retryAfter = null, params ReadOnlySpan<(string Name, string Value)> headers)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        response.ContentType = ContentType;
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in headers)
        {
            response.Headers[name] = value;
        }

        var body = new ProblemBody(TypeOf(status), title, status, detail, TraceId(context));
        // Not cancelled by RequestAborted: a request timeout cancels that token, and the 504 must still be written.
        return JsonSerializer.SerializeAsync(response.Body, body, ProblemJsonContext.Default.ProblemBody, CancellationToken.None);
    }

    private static string TypeOf(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        431 => "https://tools.ietf.org/html/rfc6585#section-5",
        502 => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        504 => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
        _ => "about:blank",
    };

    public static string TraceId(HttpContext context)
        => Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : context.TraceIdentifier;
}

public sealed record ProblemBody(string Type, string Title, int Status, string Detail, string TraceId);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProblemBody))]
internal sealed partial class ProblemJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
