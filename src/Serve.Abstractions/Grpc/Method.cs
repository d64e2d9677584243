using Google.Protobuf;
using Serve.Dispatch;

namespace Serve.Grpc;

/// <summary>
/// Describes one RPC for clients: its path, shape and message parsers. The source generator emits
/// one per RPC of every service in the compilation's <c>.proto</c> files.
/// </summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class Method<TRequest, TResponse>
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    /// <summary>Creates a method descriptor.</summary>
    public Method(GrpcMethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        Type = type;
        ServiceName = serviceName;
        Name = name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
        FullName = "/" + serviceName + "/" + name;
    }

    /// <summary>The streaming shape.</summary>
    public GrpcMethodType Type { get; }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The RPC name.</summary>
    public string Name { get; }

    /// <summary>The path the RPC is called on: <c>/package.Service/Method</c>.</summary>
    public string FullName { get; }

    /// <summary>Parses request messages.</summary>
    public MessageParser<TRequest> RequestParser { get; }

    /// <summary>Parses response messages.</summary>
    public MessageParser<TResponse> ResponseParser { get; }
}

/// <summary>Per-call options of a client call.</summary>
/// <param name="Headers">Request metadata (e.g. <c>application</c>, <c>request_id</c>, <c>multiplexed_model_id</c>).</param>
/// <param name="Deadline">When the call must finish; sent as <c>grpc-timeout</c>.</param>
/// <param name="CancellationToken">Cancels the call (the server sees the stream reset).</param>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default);

/// <summary>
/// Starts client calls. Generated service clients call through it; the runtime's
/// <c>GrpcChannel</c> implements it over HTTP/2.
/// </summary>
public abstract class CallInvoker
{
    /// <summary>Starts a unary call.</summary>
    public abstract AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>;

    /// <summary>Starts a server-streaming call.</summary>
    public abstract AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>;

    /// <summary>Starts a client-streaming call: write requests, then await the response.</summary>
    public abstract AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>;

    /// <summary>Starts a duplex-streaming call: write requests and read responses concurrently.</summary>
    public abstract AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>;
}
