using System.Net.Http.Headers;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Serve.Wire;

namespace Serve.Runtime.Tests.Wire;

public class GrpcMetadataCodecTests
{
    /// <summary>A header dictionary holding <paramref name="headers"/>, as Kestrel hands them over.</summary>
    internal static HeaderDictionary Headers(params (string Name, StringValues Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }
        return dictionary;
    }

    [Fact]
    public void Reserved_and_pseudo_headers_are_not_metadata()
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(
            (":path", "/pkg.Svc/Method"),
            (":method", "POST"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("grpc-timeout", "1S"),
            ("grpc-encoding", "gzip"),
            ("grpc-accept-encoding", "identity,gzip"),
            ("content-encoding", "gzip"),
            ("accept-encoding", "gzip"),
            ("host", "localhost:9000"),
            ("user-agent", "grpc-python/1.51"),
            ("application", "app1"),
            ("request_id", "abc"),
            ("multiplexed_model_id", "m1")));

        Assert.Equal(
            ["user-agent=grpc-python/1.51", "application=app1", "request_id=abc", "multiplexed_model_id=m1"],
            metadata.Select(e => e.Key + "=" + e.Value));
    }

    [Theory]
    [InlineData("te")]
    [InlineData("Content-Type")]
    [InlineData("GRPC-TIMEOUT")]
    [InlineData(":authority")]
    public void IsReservedRequestHeader_is_case_insensitive(string name) =>
        Assert.True(GrpcMetadataCodec.IsReservedRequestHeader(name));

    [Fact]
    public void Response_side_skips_status_and_content_headers()
    {
        Assert.True(GrpcMetadataCodec.IsReservedResponseHeader("grpc-status"));
        Assert.True(GrpcMetadataCodec.IsReservedResponseHeader("grpc-message"));
        Assert.False(GrpcMetadataCodec.IsReservedResponseHeader("grpc-status-details-bin"));
        Assert.False(GrpcMetadataCodec.IsReservedResponseHeader("request_id"));
    }

    [Fact]
    public void Repeated_string_values_keep_their_order_and_commas()
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(("x-list", new StringValues(["a, b", "c"]))));
        Assert.Equal(["a, b", "c"], metadata.Select(e => e.Value));
    }

    [Theory]
    [InlineData("AQID", new byte[] { 1, 2, 3 })]
    [InlineData("AQIDBA==", new byte[] { 1, 2, 3, 4 })]
    [InlineData("AQIDBA", new byte[] { 1, 2, 3, 4 })]
    [InlineData("AQIDBAU=", new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData("AQIDBAU", new byte[] { 1, 2, 3, 4, 5 })]
    [InlineData("", new byte[0])]
    [InlineData(" AQID ", new byte[] { 1, 2, 3 })]
    public void Binary_values_decode_padded_or_unpadded(string header, byte[] expected)
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(("trace-bin", header)));
        var entry = Assert.Single(metadata);
        Assert.True(entry.IsBinary);
        Assert.Equal(expected, entry.ValueBytes);
    }

    [Fact]
    public void Comma_separated_binary_values_are_separate_entries()
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(("trace-bin", new StringValues(["AQ,AgM=", "BA"]))));
        Assert.Equal([[1], [2, 3], [4]], metadata.Select(e => e.ValueBytes));
        Assert.All(metadata, e => Assert.Equal("trace-bin", e.Key));
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AQIDB")]
    [InlineData("AQ!D")]
    [InlineData("A===")]
    [InlineData("AQID,*")]
    public void Invalid_base64_is_internal(string header)
    {
        var ex = Assert.Throws<RpcException>(() => GrpcMetadataCodec.ReadRequestMetadata(Headers(("trace-bin", header))));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Invalid base64 value in binary metadata header 'trace-bin'.", ex.Status.Detail);
    }

    [Fact]
    public void Header_names_that_are_not_metadata_keys_are_skipped()
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(("x!odd", "1"), ("ok", "2")));
        Assert.Equal("ok", Assert.Single(metadata).Key);
    }

    [Fact]
    public void Upper_case_names_become_lower_case_keys()
    {
        var metadata = GrpcMetadataCodec.ReadRequestMetadata(Headers(("X-Custom", "v")));
        Assert.Equal("x-custom", Assert.Single(metadata).Key);
    }

    [Fact]
    public void Writing_metadata_encodes_binary_values_without_padding()
    {
        var metadata = new Metadata
        {
            { "request_id", "abc" },
            { "trace-bin", new byte[] { 1, 2, 3, 4 } },
            { "trace-bin", new byte[] { 0xFF } },
        };
        var headers = new HeaderDictionary();
        GrpcMetadataCodec.WriteMetadata(headers, metadata);
        Assert.Equal("abc", headers["request_id"].ToString());
        Assert.Equal(new[] { "AQIDBA", "/w" }, headers["trace-bin"].ToArray()!);

        var roundTrip = GrpcMetadataCodec.ReadRequestMetadata(headers);
        Assert.Equal([[1, 2, 3, 4], [0xFF]], roundTrip.Where(e => e.IsBinary).Select(e => e.ValueBytes));
    }

    [Fact]
    public void Client_headers_round_trip_through_HttpHeaders()
    {
        var metadata = new Metadata { { "application", "app1" }, { "blob-bin", new byte[] { 9, 8, 7 } } };
        using var request = new HttpRequestMessage();
        GrpcMetadataCodec.WriteMetadata(request.Headers, metadata);
        Assert.Equal("CQgH", request.Headers.GetValues("blob-bin").Single());

        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("grpc-status", "0");
        response.Headers.TryAddWithoutValidation("grpc-message", "ok");
        response.Headers.TryAddWithoutValidation("request_id", "r1");
        response.Headers.TryAddWithoutValidation("blob-bin", "CQgH");
        var read = GrpcMetadataCodec.ReadResponseMetadata(response.Headers);
        Assert.Equal(["request_id", "blob-bin"], read.Select(e => e.Key));
        Assert.Equal(new byte[] { 9, 8, 7 }, read[1].ValueBytes);
    }

    [Theory]
    [InlineData(new byte[0], "")]
    [InlineData(new byte[] { 1 }, "AQ")]
    [InlineData(new byte[] { 1, 2 }, "AQI")]
    [InlineData(new byte[] { 1, 2, 3 }, "AQID")]
    public void EncodeBinaryValue_drops_padding(byte[] value, string expected)
    {
        Assert.Equal(expected, GrpcMetadataCodec.EncodeBinaryValue(value));
        Assert.Equal(value, GrpcMetadataCodec.DecodeBinary(expected));
    }

    [Fact]
    public void Long_binary_values_decode()
    {
        var value = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        Assert.Equal(value, GrpcMetadataCodec.DecodeBinary(GrpcMetadataCodec.EncodeBinaryValue(value)));
        Assert.Equal(value, GrpcMetadataCodec.DecodeBinary(Convert.ToBase64String(value)));
    }
}
