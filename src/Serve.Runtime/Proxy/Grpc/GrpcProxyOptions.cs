namespace Serve.Proxy.Grpc;

/// <summary>Settings the gRPC proxy applies to every call (from <c>grpc_options</c> and <c>logging_config</c>).</summary>
/// <param name="RequestTimeout"><c>request_timeout_s</c>; the client's own deadline applies when shorter.</param>
/// <param name="MaxReceiveMessageSize">Largest request message accepted.</param>
/// <param name="MaxSendMessageSize">Largest response message sent.</param>
/// <param name="ResponseCompression">Gzip responses for clients that accept it.</param>
/// <param name="EnableAccessLog">One log line per call with its request id and status.</param>
internal sealed record GrpcProxyOptions(TimeSpan? RequestTimeout, int MaxReceiveMessageSize, int MaxSendMessageSize, bool ResponseCompression = false, bool EnableAccessLog = true);
