using Grpc.Core;
using Microsoft.Extensions.Primitives;
using Serve.Proxy.Grpc;
using static Serve.Runtime.Tests.Wire.GrpcMetadataCodecTests;

namespace Serve.Runtime.Tests.Proxy;

public class GrpcCallHeadersTests
{
    [Fact]
    public void Reads_the_keys_serve_acts_on_in_one_pass()
    {
        var headers = GrpcCallHeaders.Read(Headers(
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("request_id", "abc-123"),
            ("application", "app1"),
            ("multiplexed_model_id", "model-7"),
            ("grpc-timeout", "250m"),
            ("grpc-encoding", "gzip"),
            ("grpc-accept-encoding", "identity,gzip"),
            ("user-agent", "grpc-python/1.51"),
            ("x-other", "value")));

        Assert.Equal("abc-123", headers.RequestId);
        Assert.Equal("app1", headers.Application);
        Assert.Equal("model-7", headers.MultiplexedModelId);
        Assert.Equal("250m", headers.Timeout);
        Assert.Equal("gzip", headers.Encoding);
        Assert.Equal("identity,gzip", headers.AcceptEncoding);
    }

    [Fact]
    public void Absent_keys_read_as_empty_and_an_absent_deadline_as_null()
    {
        var headers = GrpcCallHeaders.Read(Headers(("content-type", "application/grpc")));

        Assert.Equal("", headers.RequestId);
        Assert.Equal("", headers.Application);
        Assert.Equal("", headers.MultiplexedModelId);
        Assert.Null(headers.Timeout);
        Assert.Equal("", headers.Encoding);
        Assert.Equal("", headers.AcceptEncoding);
    }

    [Fact]
    public void Names_match_without_case_and_repeated_values_are_joined()
    {
        // Kestrel spells the headers it knows its own way; a test double may use any case.
        var headers = GrpcCallHeaders.Read(Headers(
            ("Grpc-Timeout", "1S"),
            ("Application", "app2"),
            ("request_id", new StringValues(["a", "b"]))));

        Assert.Equal("1S", headers.Timeout);
        Assert.Equal("app2", headers.Application);
        Assert.Equal("a,b", headers.RequestId);
    }

    [Fact]
    public void Keys_of_the_same_length_are_told_apart()
    {
        // multiplexed_model_id and grpc-accept-encoding are both 20 characters long.
        var headers = GrpcCallHeaders.Read(Headers(
            ("grpc-accept-encoding", "gzip"),
            ("multiplexed_model_id", "m")));

        Assert.Equal("gzip", headers.AcceptEncoding);
        Assert.Equal("m", headers.MultiplexedModelId);
    }

    [Fact]
    public void A_binary_metadata_value_that_is_not_base64_fails_with_internal()
    {
        var ex = Assert.Throws<RpcException>(() => GrpcCallHeaders.Read(Headers(
            ("application", "app1"),
            ("trace-bin", "not base64!"))));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("trace-bin", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_binary_metadata_passes()
    {
        var headers = GrpcCallHeaders.Read(Headers(("trace-bin", "AQID"), ("application", "app1")));

        Assert.Equal("app1", headers.Application);
    }
}
