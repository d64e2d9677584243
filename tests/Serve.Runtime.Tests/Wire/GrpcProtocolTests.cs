using Grpc.Core;
using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

public class GrpcProtocolTests
{
    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("Application/GRPC", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("application/grpc+proto;foo=bar", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("application/json", false)]
    [InlineData("application/grpc+json", false)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpc-web+proto", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("text/plain; application/grpc", false)]
    public void IsGrpcContentType(string? contentType, bool expected) =>
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));

    [Fact]
    public void Header_names_are_the_protocol_ones()
    {
        Assert.Equal("application/grpc", GrpcProtocol.ContentType);
        Assert.Equal("grpc-status", GrpcProtocol.StatusHeader);
        Assert.Equal("grpc-message", GrpcProtocol.MessageHeader);
        Assert.Equal("grpc-encoding", GrpcProtocol.EncodingHeader);
        Assert.Equal("grpc-accept-encoding", GrpcProtocol.AcceptEncodingHeader);
        Assert.Equal("grpc-timeout", GrpcProtocol.TimeoutHeader);
        Assert.Equal("te", GrpcProtocol.TEHeader);
        Assert.Equal("trailers", GrpcProtocol.TrailersValue);
    }

    [Fact]
    public void Status_strings_are_cached_numbers()
    {
        foreach (var code in Enum.GetValues<StatusCode>())
        {
            var text = GrpcProtocol.ToStatusString(code);
            Assert.Equal(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), text);
            Assert.Same(text, GrpcProtocol.ToStatusString(code));
            Assert.True(GrpcProtocol.TryParseStatus(text, out var parsed));
            Assert.Equal(code, parsed);
        }
        Assert.Equal("42", GrpcProtocol.ToStatusString((StatusCode)42));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("ok")]
    [InlineData(" 0")]
    public void Bad_status_strings_do_not_parse(string? value) =>
        Assert.False(GrpcProtocol.TryParseStatus(value, out _));
}
