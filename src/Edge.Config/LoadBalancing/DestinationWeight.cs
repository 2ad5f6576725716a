using System.Globalization;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.LoadBalancing;

/// <summary>A destination's <c>Metadata.Weight</c> in a <c>Weighted</c> cluster.</summary>
public static class DestinationWeight
{
    public const string MetadataKey = "Weight";

    /// <summary>
    /// The weight of a destination that sets none: a cluster where no destination sets one splits
    /// evenly, and weights read as percentages of a destination without one.
    /// </summary>
    public const int Default = 100;

    /// <summary>The largest weight: sums of weights stay far from overflowing the picker's arithmetic.</summary>
    public const int Max = 1_000_000;

    /// <summary>The destination's weight; false with <paramref name="raw"/> set when its Weight is not a whole number from 0 to <see cref="Max"/>.</summary>
    public static bool TryRead(DestinationConfig destination, out int weight, out string? raw)
    {
        weight = Default;
        raw = null;
        if (destination.Metadata?.TryGetValue(MetadataKey, out raw) != true)
        {
            return true;
        }

        return int.TryParse(raw.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out weight) && weight <= Max;
    }

    /// <summary>Whether the destination sets a Weight of its own.</summary>
    public static bool IsSet(DestinationConfig destination) => destination.Metadata?.ContainsKey(MetadataKey) == true;
}
