using System.Buffers;
using System.ComponentModel;
using Google.Protobuf;
using Grpc.Core;

namespace Serve.Dispatch;

/// <summary>Helpers that generated dispatch code calls, kept here so the generated code stays small.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GrpcDispatch
{
    /// <summary>Parses a request; an unparseable payload ends the call with INVALID_ARGUMENT.</summary>
    public static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, string messageName) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Failed to parse request message '{messageName}': {ex.Message}"));
        }
    }

    /// <summary>Writes a unary result; a null result is a bug in the deployment and ends the call with INTERNAL.</summary>
    public static ValueTask WriteUnaryAsync(GrpcServerCall call, IMessage? response, string methodPath)
    {
        if (response is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"The deployment method for '{methodPath}' returned null."));
        }
        return call.WriteResponseAsync(response);
    }

    /// <summary>Awaits a unary result and writes it.</summary>
    public static async ValueTask WriteUnaryAsync<T>(GrpcServerCall call, Task<T> response, string methodPath) where T : IMessage
        => await WriteUnaryAsync(call, await response.ConfigureAwait(false), methodPath).ConfigureAwait(false);

    /// <summary>Awaits a unary result and writes it.</summary>
    public static async ValueTask WriteUnaryAsync<T>(GrpcServerCall call, ValueTask<T> response, string methodPath) where T : IMessage
        => await WriteUnaryAsync(call, await response.ConfigureAwait(false), methodPath).ConfigureAwait(false);

    /// <summary>Writes every message of a synchronous stream, flushing each one.</summary>
    public static async ValueTask WriteStreamAsync<T>(GrpcServerCall call, IEnumerable<T>? responses, string methodPath) where T : IMessage
    {
        if (responses is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"The deployment method for '{methodPath}' returned null."));
        }
        foreach (var response in responses)
        {
            call.CancellationToken.ThrowIfCancellationRequested();
            await WriteUnaryAsync(call, response, methodPath).ConfigureAwait(false);
        }
    }

    /// <summary>Writes every message of an asynchronous stream, flushing each one.</summary>
    public static async ValueTask WriteStreamAsync<T>(GrpcServerCall call, IAsyncEnumerable<T>? responses, string methodPath) where T : IMessage
    {
        if (responses is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"The deployment method for '{methodPath}' returned null."));
        }
        await foreach (var response in responses.WithCancellation(call.CancellationToken).ConfigureAwait(false))
        {
            await WriteUnaryAsync(call, response, methodPath).ConfigureAwait(false);
        }
    }
}
