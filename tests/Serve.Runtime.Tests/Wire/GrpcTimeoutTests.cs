using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

public class GrpcTimeoutTests
{
    public static TheoryData<string, long> ValidValues => new()
    {
        { "1H", TimeSpan.TicksPerHour },
        { "2M", 2 * TimeSpan.TicksPerMinute },
        { "30S", 30 * TimeSpan.TicksPerSecond },
        { "100m", 100 * TimeSpan.TicksPerMillisecond },
        { "250u", 250 * TimeSpan.TicksPerMicrosecond },
        { "1000n", 10 },
        { "1n", 1 },
        { "150n", 2 },
        { "0S", 0 },
        { "00000005S", 5 * TimeSpan.TicksPerSecond },
        { "99999999H", 99_999_999 * TimeSpan.TicksPerHour },
        { "99999999n", 1_000_000 },
    };

    [Theory]
    [MemberData(nameof(ValidValues))]
    public void Parses_valid_values(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("1")]
    [InlineData("123456789S")]
    [InlineData("1s")]
    [InlineData("1h")]
    [InlineData("1x")]
    [InlineData("-1S")]
    [InlineData("+1S")]
    [InlineData(" 1S")]
    [InlineData("1S ")]
    [InlineData("1.5S")]
    [InlineData("1 S")]
    [InlineData("1SS")]
    [InlineData("١S")]
    public void Rejects_invalid_values(string? value) =>
        Assert.False(GrpcTimeout.TryParse(value, out _));

    [Theory]
    [InlineData(1, 0, 0, 0, "1H")]
    [InlineData(0, 5, 0, 0, "5M")]
    [InlineData(0, 0, 1, 0, "1S")]
    [InlineData(0, 0, 90, 0, "90S")]
    [InlineData(0, 0, 1, 500, "1500m")]
    [InlineData(0, 0, 0, 1, "1m")]
    public void Formats_the_shortest_exact_value(int hours, int minutes, int seconds, int milliseconds, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(new TimeSpan(0, hours, minutes, seconds, milliseconds)));

    [Theory]
    [InlineData(1, "100n")]
    [InlineData(10, "1u")]
    [InlineData(15, "1500n")]
    [InlineData(999_999, "99999900n")]
    // 100.0001 ms: exact only as 100000100n (9 digits), so microseconds, rounded up.
    [InlineData(1_000_001, "100001u")]
    // 100 s + 100 ns: microseconds would need 9 digits, so milliseconds, rounded up.
    [InlineData(1_000_000_001, "100001m")]
    public void Formats_sub_millisecond_and_inexact_values(long ticks, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(new TimeSpan(ticks)));

    [Fact]
    public void Zero_and_negative_format_as_zero()
    {
        Assert.Equal("0n", GrpcTimeout.Format(TimeSpan.Zero));
        Assert.Equal("0n", GrpcTimeout.Format(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Huge_values_are_clamped()
    {
        Assert.Equal("99999999H", GrpcTimeout.Format(TimeSpan.MaxValue));
        Assert.Equal("99999999H", GrpcTimeout.Format(GrpcTimeout.MaxTimeout));
    }

    [Fact]
    public void Formatted_values_are_valid_and_never_shorter_than_the_timeout()
    {
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var ticks = (long)(Math.Pow(10, random.NextDouble() * 17.5));
            var timeout = new TimeSpan(ticks);
            var text = GrpcTimeout.Format(timeout);
            Assert.InRange(text.Length, 2, 9);
            Assert.True(GrpcTimeout.TryParse(text, out var parsed), text);
            Assert.True(parsed >= timeout, $"{text} < {timeout}");
        }
    }
}
