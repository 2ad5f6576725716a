using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:Resilience</c>, checked on the defaults and on every cluster's effective settings.</summary>
internal static class ResilienceRules
{
    private const string Prefix = "Edge:Resilience";

    public static void Validate(ResilienceOptions resilience, IReadOnlyList<ClusterConfig> clusters, List<ConfigError> errors)
    {
        Positive($"{Prefix}:RequestTimeout", resilience.RequestTimeout, errors);
        Positive($"{Prefix}:ConnectTimeout", resilience.ConnectTimeout, errors);
        Check(Prefix, CircuitBreakerOverrides.From(resilience.CircuitBreaker), RetryOverrides.From(resilience.Retry), errors);

        var known = clusters.Select(c => c.ClusterId).ToList();
        foreach (var (id, own) in resilience.Clusters)
        {
            var path = $"{Prefix}:Clusters:{id}";
            if (!known.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                var suggestion = DidYouMean.Suggest(id, known);
                var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
                errors.Add(new ConfigError(path,
                    $"{path} names cluster '{id}', which does not exist.{hint} Known clusters: {string.Join(", ", known.Select(k => $"'{k}'"))}."));
                continue;
            }

            if (own?.MaxConcurrentRequests is < 1)
            {
                errors.Add(new ConfigError($"{path}:MaxConcurrentRequests",
                    $"{path}:MaxConcurrentRequests is {own.MaxConcurrentRequests}; it must be at least 1. Remove it for no cap."));
            }

            if (own?.ConnectTimeout is { } connect)
            {
                Positive($"{path}:ConnectTimeout", connect, errors);
            }

            // Only what the cluster sets itself: a bad default was reported above, once.
            if (own is not null)
            {
                Check(path, own.CircuitBreaker, own.Retry, errors);
            }
        }
    }

    private static void Check(string prefix, CircuitBreakerOverrides? breaker, RetryOverrides? retry, List<ConfigError> errors)
    {
        if (breaker is not null)
        {
            var at = $"{prefix}:CircuitBreaker";
            if (breaker.FailureRatio is { } ratio && (ratio is <= 0 or > 1 || double.IsNaN(ratio)))
            {
                errors.Add(new ConfigError($"{at}:FailureRatio", $"{at}:FailureRatio is {ratio}; it must be above 0 and at most 1, such as 0.5."));
            }

            if (breaker.MinimumThroughput is < 2)
            {
                errors.Add(new ConfigError($"{at}:MinimumThroughput", $"{at}:MinimumThroughput is {breaker.MinimumThroughput}; it must be at least 2."));
            }

            AtLeastHalfSecond($"{at}:SamplingDuration", breaker.SamplingDuration, errors);
            AtLeastHalfSecond($"{at}:BreakDuration", breaker.BreakDuration, errors);
        }

        if (retry is not null)
        {
            var at = $"{prefix}:Retry";
            if (retry.MaxAttempts is < 1 or > 10)
            {
                errors.Add(new ConfigError($"{at}:MaxAttempts", $"{at}:MaxAttempts is {retry.MaxAttempts}; it counts every attempt, the first included, and must be from 1 (no retry) to 10."));
            }

            if (retry.BudgetPercent is { } percent && (percent is < 0 or > 100 || double.IsNaN(percent)))
            {
                errors.Add(new ConfigError($"{at}:BudgetPercent", $"{at}:BudgetPercent is {percent}; it must be from 0 to 100 (percent of the cluster's requests)."));
            }

            if (retry.BudgetBurst is < 0)
            {
                errors.Add(new ConfigError($"{at}:BudgetBurst", $"{at}:BudgetBurst is {retry.BudgetBurst}; it must be 0 or more."));
            }
        }
    }

    private static void Positive(string key, TimeSpan value, List<ConfigError> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError(key, $"{key} is '{value}'; it must be positive, such as '00:00:05'."));
        }
    }

    private static void AtLeastHalfSecond(string key, TimeSpan? value, List<ConfigError> errors)
    {
        if (value < TimeSpan.FromMilliseconds(500))
        {
            errors.Add(new ConfigError(key, $"{key} is '{value}'; it must be at least 00:00:00.500."));
        }
    }
}
