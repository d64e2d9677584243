using System.Buffers;
using System.ComponentModel;
using Google.Protobuf;

namespace Serve.Dispatch;

/// <summary>
/// One gRPC call as generated dispatch code sees it. The runtime implements it over its wire layer
/// (or over an in-process channel); generated invokers only read the request and write responses.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public abstract class GrpcServerCall
{
    /// <summary>The request's Serve context (request id, application, multiplexed model id).</summary>
    public abstract ServeRequestContext RequestContext { get; }

    /// <summary>Fires when the client goes away, the deadline passes or the server shuts down.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>The serialized request message of a unary or server-streaming call.</summary>
    public abstract ReadOnlySequence<byte> RequestPayload { get; }

    /// <summary>The call's gRPC context (metadata, peer, deadline, status and trailers to send).</summary>
    public abstract GrpcContext GrpcContext { get; }

    /// <summary>
    /// The request messages of a client-streaming or duplex call, parsed as they arrive. An
    /// unparseable message ends the call with INVALID_ARGUMENT.
    /// </summary>
    public abstract IAsyncEnumerable<T> ReadRequestsAsync<T>(MessageParser<T> parser, string messageName) where T : IMessage<T>;

    /// <summary>
    /// Writes one response message. For server-streaming calls each message is flushed to the
    /// client before the returned task completes.
    /// </summary>
    public abstract ValueTask WriteResponseAsync(IMessage message);
}
