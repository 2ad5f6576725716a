namespace Edge.Config.Reload;

/// <summary>What the last reload did: <c>applied</c> (possibly with no change) or <c>rejected</c> with its errors.</summary>
public sealed record ReloadStatus(DateTimeOffset At, string Trigger, string Result, bool Changed, IReadOnlyList<string> Errors)
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
}
