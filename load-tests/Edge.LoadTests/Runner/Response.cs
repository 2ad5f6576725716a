namespace Edge.LoadTests.Runner;

/// <summary>
/// What one step reports: ok or failed, the HTTP status (0 when there was no answer) and a
/// message: for a failure, why; for a success, anything the scenario wants to count (which origin answered).
/// </summary>
internal readonly record struct Response(bool IsOk, int StatusCode, string? Message)
{
    public static Response Ok(int statusCode = 200, string? message = null) => new(true, statusCode, message);

    public static Response Fail(int statusCode, string message) => new(false, statusCode, message);
}
