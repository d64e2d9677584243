using Serve.Config;
using static Serve.Runtime.Tests.Config.ConfigTestHelpers;

namespace Serve.Runtime.Tests.Config;

/// <summary>Keys Serve adds to Ray Serve's schema.</summary>
public sealed class ServeAdditionsConfigTests
{
    [Fact]
    public void Response_compression_and_body_limit_load_with_defaults()
    {
        var defaults = ServeConfigLoader.Load("{}", "test.yaml");
        Assert.Equal(GrpcResponseCompression.Identity, defaults.GrpcOptions.ResponseCompression);
        Assert.Equal(30_000_000, defaults.HttpOptions.MaxRequestBodySize);

        var config = ServeConfigLoader.Load("""
            http_options:
              max_request_body_size: 1024
            grpc_options:
              response_compression: gzip
            """, "test.yaml");
        Assert.Equal(GrpcResponseCompression.Gzip, config.GrpcOptions.ResponseCompression);
        Assert.Equal(1024, config.HttpOptions.MaxRequestBodySize);
    }

    [Fact]
    public void Invalid_values_are_reported_with_their_key()
    {
        var ex = LoadFails("""
            grpc_options:
              response_compression: brotli
            """);
        AssertSingleError(ex, "grpc_options.response_compression", 2, "identity or gzip");

        ex = LoadFails("""
            http_options:
              max_request_body_size: 0
            """);
        AssertSingleError(ex, "http_options.max_request_body_size", 2, "≥ 1");
    }

    [Fact]
    public void Request_body_memory_limit_defaults_to_four_bodies_and_must_hold_one()
    {
        var defaults = ServeConfigLoader.Load("{}", "test.yaml");
        Assert.Null(defaults.HttpOptions.RequestBodyMemoryLimit);
        Assert.Equal(120_000_000, defaults.HttpOptions.EffectiveRequestBodyMemoryLimit);

        var config = ServeConfigLoader.Load("http_options:\n  request_body_memory_limit: 8000000000\n", "test.yaml");
        Assert.Equal(8_000_000_000, config.HttpOptions.EffectiveRequestBodyMemoryLimit);

        var ex = LoadFails("http_options:\n  max_request_body_size: 1000\n  request_body_memory_limit: 999\n");
        AssertSingleError(ex, "http_options.request_body_memory_limit", 3, "must be at least max_request_body_size (1000), so that the largest body accepted fits; got 999.");
    }
}
