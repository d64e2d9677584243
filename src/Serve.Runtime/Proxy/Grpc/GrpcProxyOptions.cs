namespace Serve.Proxy.Grpc;

/// <summary>Settings the gRPC proxy applies to every call (from <c>grpc_options</c>).</summary>
internal sealed record GrpcProxyOptions(TimeSpan? RequestTimeout, int MaxReceiveMessageSize, int MaxSendMessageSize);
