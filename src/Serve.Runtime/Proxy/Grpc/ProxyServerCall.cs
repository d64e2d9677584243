using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Serve.Dispatch;
using Serve.Grpc;
using Serve.Wire;

namespace Serve.Proxy.Grpc;

/// <summary>
/// A gRPC call arriving through the proxy, as the generated dispatch code sees it: the request
/// payload still in Kestrel's buffers, responses framed straight into the response pipe.
/// </summary>
internal sealed class ProxyServerCall : GrpcServerCall
{
    private readonly HttpContext _httpContext;
    private readonly PipeWriter _writer;
    private readonly bool _flushEachMessage;
    private readonly int _maxSendMessageSize;
    private ReadOnlySequence<byte> _payload;
    private CancellationToken _cancellationToken;
    private ServeRequestContext _requestContext;

    public ProxyServerCall(HttpContext httpContext, GrpcMethodDefinition method, ServeRequestContext requestContext, int maxSendMessageSize)
    {
        _httpContext = httpContext;
        _writer = httpContext.Response.BodyWriter;
        _flushEachMessage = method.MethodType is GrpcMethodType.ServerStreaming or GrpcMethodType.DuplexStreaming;
        _maxSendMessageSize = maxSendMessageSize;
        _requestContext = requestContext;
    }

    public override ServeRequestContext RequestContext => _requestContext;

    public override CancellationToken CancellationToken => _cancellationToken;

    public override ReadOnlySequence<byte> RequestPayload => _payload;

    /// <summary>True once a message was written: errors then go in trailers, not trailers-only.</summary>
    public bool ResponseStarted { get; private set; }

    /// <summary>Set when the call ended (deadline): later writes from a still-running method are dropped.</summary>
    public bool Completed { get; set; }

    public void SetRequest(ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        _payload = payload;
        _cancellationToken = cancellationToken;
    }

    public override async ValueTask WriteResponseAsync(IMessage message)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (Completed)
        {
            throw new OperationCanceledException("The call already ended.");
        }
        ResponseStarted = true;
        GrpcMessageWriter.WriteMessage(_writer, message, _maxSendMessageSize);
        if (_flushEachMessage)
        {
            var result = await _writer.FlushAsync(_cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new OperationCanceledException("The client went away.");
            }
        }
    }
}
