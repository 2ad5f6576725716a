namespace Edge.Proxy.Resilience;

/// <summary>Per-request resilience state shared by the retry loop, the breaker and the response transform.</summary>
internal sealed class RetryState
{
    /// <summary>This attempt may be followed by another: safe method, no body, attempts and destinations left.</summary>
    public bool MayRetry { get; set; }

    /// <summary>The origin answered 502/503 and its body was held back so the request can go elsewhere.</summary>
    public bool RetryRequested { get; set; }

    /// <summary>The breaker refused the chosen destination (half-open with its trial in flight).</summary>
    public bool CircuitRejected { get; set; }

    /// <summary>The status the origin gave when the body was held back.</summary>
    public int HeldStatus { get; set; }

    public void ResetAttempt()
    {
        RetryRequested = false;
        CircuitRejected = false;
        HeldStatus = 0;
    }
}
