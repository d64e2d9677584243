namespace Serve;

/// <summary>
/// Timeouts as the config and clients give them, turned into values the timers can hold. Ray's config takes any
/// number of seconds and gRPC's <c>grpc-timeout</c> up to 99,999,999 hours, but a <see cref="CancellationTokenSource"/>,
/// <see cref="SemaphoreSlim"/> or <see cref="Task.Delay(TimeSpan)"/> holds at most <see cref="int.MaxValue"/> ms
/// (about 24.8 days), and <see cref="DateTime"/> ends in the year 9999. Anything longer means "no practical limit".
/// </summary>
internal static class Timeouts
{
    /// <summary>The longest timeout Serve arms: <see cref="int.MaxValue"/> milliseconds (24 days 20 h 31 min).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>A config's number of seconds (finite, ≥ 0), capped at <see cref="Longest"/>.</summary>
    public static TimeSpan FromSeconds(double seconds)
        => seconds >= Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds(seconds);

    /// <summary>A config's optional number of seconds, capped at <see cref="Longest"/>; null stays null (no timeout).</summary>
    public static TimeSpan? FromSeconds(double? seconds) => seconds is { } s ? FromSeconds(s) : null;

    /// <summary>A client's deadline: null (none) when it is beyond <see cref="Longest"/>, as gRPC servers treat a deadline
    /// they cannot arm.</summary>
    public static TimeSpan? ClientDeadline(TimeSpan timeout) => timeout > Longest ? null : timeout;

    /// <summary>Ray Serve's answer to a request past its timeout; "G6" keeps sub-millisecond deadlines (1E-09) from reading as 0.</summary>
    public static string TimedOutMessage(TimeSpan timeout)
        => "Request timed out after " + timeout.TotalSeconds.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) + "s.";
}
