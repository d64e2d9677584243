using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

public class GrpcStatusMessageTests
{
    [Fact]
    public void Printable_ascii_passes_through_as_the_same_instance()
    {
        var detail = "Deployment 'Model' failed: x=1 (y<2) [ok] {z} ~!@#$^&*_+-=`|\\/?.,;:'\"";
        Assert.Same(detail, GrpcStatusMessage.Encode(detail));
        Assert.Same(detail, GrpcStatusMessage.Decode(detail));
    }

    [Fact]
    public void Encode_of_ascii_does_not_allocate()
    {
        var detail = "No replica available for application 'default'.";
        GrpcStatusMessage.Encode(detail);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            GrpcStatusMessage.Encode(detail);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData("%", "%25")]
    [InlineData("100%", "100%25")]
    [InlineData("%25", "%2525")]
    [InlineData("héllo ✓", "h%C3%A9llo %E2%9C%93")]
    [InlineData("a\nb\tc\r", "a%0Ab%09c%0D")]
    [InlineData("\0\u007F", "%00%7F")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("", "")]
    public void Encodes_per_the_spec(string detail, string expected)
    {
        Assert.Equal(expected, GrpcStatusMessage.Encode(detail));
        Assert.Equal(detail, GrpcStatusMessage.Decode(expected));
    }

    [Fact]
    public void Null_encodes_and_decodes_to_empty() =>
        Assert.Equal(("", ""), (GrpcStatusMessage.Encode(null), GrpcStatusMessage.Decode(null)));

    [Theory]
    [InlineData("h%c3%a9", "hé")]
    [InlineData("100%", "100%")]
    [InlineData("%", "%")]
    [InlineData("%4", "%4")]
    [InlineData("%ZZ ok", "%ZZ ok")]
    [InlineData("%G1%41", "%G1A")]
    [InlineData("a%FFb", "a\uFFFDb")]
    [InlineData("%C3", "\uFFFD")]
    [InlineData("ünencoded %41", "ünencoded A")]
    public void Decoding_is_tolerant(string value, string expected) =>
        Assert.Equal(expected, GrpcStatusMessage.Decode(value));

    [Fact]
    public void Long_messages_round_trip()
    {
        var detail = string.Concat(Enumerable.Repeat("ünïcödé ✓ 100% \n", 500));
        var encoded = GrpcStatusMessage.Encode(detail);
        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(detail, GrpcStatusMessage.Decode(encoded));
    }

    [Fact]
    public void Every_byte_value_round_trips()
    {
        var detail = new string(Enumerable.Range(1, 0x2FF).Select(i => (char)i).ToArray());
        var encoded = GrpcStatusMessage.Encode(detail);
        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.DoesNotContain("%2a", encoded, StringComparison.Ordinal);
        Assert.Equal(detail, GrpcStatusMessage.Decode(encoded));
    }
}
