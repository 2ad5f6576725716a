namespace Edge.Config.Validation;

/// <summary>One problem in a config: where it is (a config path) and what to do about it.</summary>
public sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => Message;
}
