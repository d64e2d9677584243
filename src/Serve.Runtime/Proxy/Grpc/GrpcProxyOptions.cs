using Serve.Config;
using Serve.Wire;

namespace Serve.Proxy.Grpc;

/// <summary>Settings the gRPC proxy applies to every call (from <c>grpc_options</c>, <c>http_options</c> and <c>logging_config</c>).</summary>
/// <param name="RequestTimeout"><c>request_timeout_s</c>; the client's own deadline applies when shorter.</param>
/// <param name="MaxReceiveMessageSize">Largest request message accepted.</param>
/// <param name="MaxSendMessageSize">Largest response message sent.</param>
/// <param name="ResponseCompression">Gzip responses for clients that accept it.</param>
/// <param name="EnableAccessLog">One log line per call with its request id and status.</param>
/// <param name="ServerMaxRequestBodySize">Kestrel's server-wide request body limit (<c>max_request_body_size</c>); null when there is none.</param>
internal sealed record GrpcProxyOptions(TimeSpan? RequestTimeout, int MaxReceiveMessageSize, int MaxSendMessageSize, bool ResponseCompression = false,
    bool EnableAccessLog = true, long? ServerMaxRequestBodySize = null)
{
    /// <summary>The options a config gives, for a server whose request body limit is <paramref name="serverMaxRequestBodySize"/>.</summary>
    public static GrpcProxyOptions From(ServeConfig config, long? serverMaxRequestBodySize) => new(
        Timeouts.FromSeconds(config.GrpcOptions.RequestTimeoutS),
        config.GrpcOptions.MaxReceiveMessageLength,
        config.GrpcOptions.MaxSendMessageLength,
        config.GrpcOptions.ResponseCompression == GrpcResponseCompression.Gzip,
        config.LoggingConfig.EnableAccessLog,
        serverMaxRequestBodySize);

    /// <summary>
    /// True when a request of one message within <see cref="MaxReceiveMessageSize"/> can still exceed Kestrel's body
    /// limit, which must then be lifted for unary and server-streaming calls too (streamed requests always lift it).
    /// </summary>
    public bool SingleMessageMayExceedServerLimit
        => ServerMaxRequestBodySize is { } limit && (long)MaxReceiveMessageSize + GrpcProtocol.MessagePrefixSize > limit;
}
