using System.Globalization;

namespace Serve.Wire;

/// <summary>
/// The <c>grpc-timeout</c> header: 1 to 8 ASCII digits followed by one unit, <c>H</c> (hours), <c>M</c>
/// (minutes), <c>S</c> (seconds), <c>m</c> (milliseconds), <c>u</c> (microseconds) or <c>n</c> (nanoseconds).
/// </summary>
internal static class GrpcTimeout
{
    /// <summary>The largest value the 8 digits can hold.</summary>
    public const long MaxValue = 99_999_999;

    /// <summary>The longest timeout the header can express (99999999 hours), used to clamp larger ones.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(MaxValue);

    // Units from coarsest to finest, with their length in ticks (100 ns); nanoseconds are handled apart.
    private static ReadOnlySpan<char> UnitChars => ['H', 'M', 'S', 'm', 'u'];

    private static readonly long[] UnitTicks =
        [TimeSpan.TicksPerHour, TimeSpan.TicksPerMinute, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMicrosecond];

    /// <summary>
    /// Parses a <c>grpc-timeout</c> value. False when it is empty, has no or 9+ digits, a sign, spaces,
    /// or a unit other than H M S m u n. Nanoseconds are rounded up to the next 100 ns tick.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || value.Length > 9)
        {
            return false;
        }
        var digits = value[..^1];
        long number = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            number = (number * 10) + (c - '0');
        }

        switch (value[^1])
        {
            case 'H': timeout = new TimeSpan(number * TimeSpan.TicksPerHour); return true;
            case 'M': timeout = new TimeSpan(number * TimeSpan.TicksPerMinute); return true;
            case 'S': timeout = new TimeSpan(number * TimeSpan.TicksPerSecond); return true;
            case 'm': timeout = new TimeSpan(number * TimeSpan.TicksPerMillisecond); return true;
            case 'u': timeout = new TimeSpan(number * TimeSpan.TicksPerMicrosecond); return true;
            case 'n': timeout = new TimeSpan((number + 99) / 100); return true;
            default: return false;
        }
    }

    /// <summary>Parses a <c>grpc-timeout</c> value; see <see cref="TryParse(ReadOnlySpan{char}, out TimeSpan)"/>.</summary>
    public static bool TryParse(string? value, out TimeSpan timeout) => TryParse(value.AsSpan(), out timeout);

    /// <summary>
    /// Formats <paramref name="timeout"/> as the shortest valid <c>grpc-timeout</c> value: the coarsest unit
    /// that expresses it exactly in at most 8 digits (<c>1S</c>, <c>1500m</c>, <c>250n</c>); when none does,
    /// the finest unit that fits, rounded up (a deadline is never shortened). Zero or negative gives
    /// <c>0n</c>; values beyond <see cref="MaxTimeout"/> are clamped to <c>99999999H</c>.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = timeout.Ticks;
        if (ticks <= 0)
        {
            return "0n";
        }

        // Exact, coarsest first: the coarsest exact unit gives the fewest digits.
        for (var i = 0; i < UnitTicks.Length; i++)
        {
            if (ticks % UnitTicks[i] == 0 && ticks / UnitTicks[i] <= MaxValue)
            {
                return Create(ticks / UnitTicks[i], UnitChars[i]);
            }
        }
        if (ticks <= MaxValue / 100)
        {
            return Create(ticks * 100, 'n');
        }

        // Not exact in 8 digits: the finest unit that fits, rounded up.
        for (var i = UnitTicks.Length - 1; i >= 0; i--)
        {
            var value = (ticks / UnitTicks[i]) + (ticks % UnitTicks[i] == 0 ? 0 : 1);
            if (value <= MaxValue)
            {
                return Create(value, UnitChars[i]);
            }
        }
        return Create(MaxValue, 'H');
    }

    private static string Create(long value, char unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{value}{unit}");
}
