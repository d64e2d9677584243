using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Serve.Wire;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>
/// Reading requests and writing responses and trailers for the built-in services, in the proxy's format:
/// response headers first, then trailers with <c>request_id</c> before <c>grpc-status</c>.
/// </summary>
internal static class BuiltInCall
{
    public static GrpcReadOptions ReadOptions(HttpContext context, GrpcProxyOptions options)
        => new(options.MaxReceiveMessageSize, context.Request.Headers[GrpcProtocol.EncodingHeader].ToString());

    /// <summary>
    /// Reads and parses the single request message of a unary or server-streaming call.
    /// </summary>
    /// <exception cref="RpcException">The status the call must end with (bad framing, size, encoding or payload).</exception>
    public static async ValueTask<T> ReadSingleAsync<T>(HttpContext context, GrpcProxyOptions options, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var message = await GrpcMessageReader.ReadSingleMessageAsync(context.Request.BodyReader, ReadOptions(context, options), cancellationToken).ConfigureAwait(false);
        try
        {
            return Parse(parser, message);
        }
        finally
        {
            message.Complete();
        }
    }

    /// <summary>Parses a received message; a malformed payload is INTERNAL, as in grpc-dotnet.</summary>
    public static T Parse<T>(MessageParser<T> parser, in GrpcRequestMessage message)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(message.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to deserialize the request message: {ex.Message}"));
        }
    }

    /// <summary>Writes one message and flushes it to the client. Returns false when the client is gone.</summary>
    public static async ValueTask<bool> WriteAsync(HttpResponse response, IMessage message, GrpcProxyOptions options, CancellationToken cancellationToken)
    {
        GrpcMessageWriter.WriteMessage(response.BodyWriter, message, options.MaxSendMessageSize);
        var result = await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !result.IsCanceled && !result.IsCompleted;
    }

    /// <summary>Ends a call that sent no message: response headers, then the trailers.</summary>
    public static async Task WriteErrorAsync(HttpResponse response, Status status, string requestId)
    {
        if (!response.HasStarted)
        {
            await response.StartAsync().ConfigureAwait(false);
        }
        AppendTrailers(response, status, requestId);
    }

    /// <summary>Appends <c>request_id</c>, <c>grpc-status</c> and <c>grpc-message</c> (when there is a detail).</summary>
    public static void AppendTrailers(HttpResponse response, Status status, string requestId)
    {
        response.AppendTrailer(GrpcProxy.RequestIdKey, requestId);
        response.AppendTrailer(GrpcProtocol.StatusHeader, GrpcProtocol.ToStatusString(status.StatusCode));
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcStatusMessage.Encode(status.Detail));
        }
    }

    /// <summary>The UNIMPLEMENTED status every unknown method gets.</summary>
    public static Status Unimplemented(string path) => new(StatusCode.Unimplemented, $"Method '{path}' is not implemented.");
}
