using System.Buffers;
using System.IO.Pipelines;
using Grpc.Core;

namespace Serve.Wire;

/// <summary>
/// Reads length-prefixed gRPC messages from a <see cref="PipeReader"/> (Kestrel's <c>Request.BodyReader</c>,
/// or a response body on the client).
/// </summary>
/// <remarks>
/// Errors are <see cref="RpcException"/>s carrying the status the call must end with; before throwing,
/// the reader is advanced past everything it returned, so the caller only has to write the status.
/// </remarks>
internal static class GrpcMessageReader
{
    /// <summary>INTERNAL: the stream ended without any message (unary/server-streaming request).</summary>
    public const string NoMessage = "Request did not include a message.";

    /// <summary>INTERNAL: a second message followed the single one a unary/server-streaming request carries.</summary>
    public const string AdditionalData = "Additional data after the message received.";

    /// <summary>INTERNAL: the stream ended in the middle of a message prefix or payload.</summary>
    public const string IncompleteMessage = "Incomplete message.";

    /// <summary>
    /// Reads the single message of a unary or server-streaming request: reads to the end of the stream, then
    /// returns the message, which the caller must <see cref="GrpcRequestMessage.Complete"/> when done with it.
    /// </summary>
    /// <remarks>
    /// The size limit is checked as soon as a prefix has arrived (before the body is buffered), and a second
    /// message is rejected as soon as its first byte has arrived.
    /// </remarks>
    /// <exception cref="RpcException">
    /// INTERNAL (<see cref="NoMessage"/>, <see cref="AdditionalData"/>, <see cref="IncompleteMessage"/>, bad flag,
    /// compressed without encoding, corrupt gzip); RESOURCE_EXHAUSTED (too large, compressed or not);
    /// UNIMPLEMENTED (unsupported <c>grpc-encoding</c>; the caller also sends
    /// <c>grpc-accept-encoding: </c><see cref="GrpcProtocol.AcceptEncodingValue"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired or the read was cancelled.</exception>
    public static ValueTask<GrpcRequestMessage> ReadSingleMessageAsync(PipeReader reader, GrpcReadOptions options, CancellationToken cancellationToken)
    {
        // A unary request usually arrives whole with its headers: when it is already buffered, no state machine.
        if (!cancellationToken.IsCancellationRequested && reader.TryRead(out var result))
        {
            try
            {
                if (TryTakeSingleMessage(reader, result, options, out var message))
                {
                    return new ValueTask<GrpcRequestMessage>(message);
                }
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<GrpcRequestMessage>(ex);
            }
        }
        return ReadSingleMessageSlowAsync(reader, options, cancellationToken);
    }

    private static async ValueTask<GrpcRequestMessage> ReadSingleMessageSlowAsync(PipeReader reader, GrpcReadOptions options, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (TryTakeSingleMessage(reader, result, options, out var message))
            {
                return message;
            }
        }
    }

    /// <summary>
    /// The single message once the request stream has ended; false (the reader advanced to wait for more data)
    /// while it has not.
    /// </summary>
    private static bool TryTakeSingleMessage(PipeReader reader, in ReadResult result, GrpcReadOptions options, out GrpcRequestMessage message)
    {
        var maxSize = options.MaxReceiveMessageSize;
        var buffer = result.Buffer;
        ReadOnlySequence<byte> payload;
        bool compressed;
        try
        {
            ThrowIfCanceled(result);
            var remaining = buffer;
            if (GrpcFraming.TryReadMessage(ref remaining, maxSize, out payload, out compressed))
            {
                if (!remaining.IsEmpty)
                {
                    throw new RpcException(new Status(StatusCode.Internal, AdditionalData));
                }
                if (result.IsCompleted && compressed)
                {
                    GrpcCompression.ValidateEncodingForCompressedMessage(options.Encoding);
                }
            }
            else if (result.IsCompleted)
            {
                throw new RpcException(new Status(StatusCode.Internal, buffer.IsEmpty ? NoMessage : IncompleteMessage));
            }
        }
        catch
        {
            reader.AdvanceTo(buffer.End);
            throw;
        }

        if (!result.IsCompleted)
        {
            // Keep everything, but let the next read wait for more data.
            reader.AdvanceTo(buffer.Start, buffer.End);
            message = default;
            return false;
        }

        if (!compressed)
        {
            // The payload stays in the pipe's buffer until the caller completes the message.
            message = new GrpcRequestMessage(payload, compressed: false, reader, buffer.End);
            return true;
        }

        try
        {
            var rented = GrpcCompression.Decompress(payload, maxSize, out var length);
            message = new GrpcRequestMessage(rented, length);
            return true;
        }
        finally
        {
            reader.AdvanceTo(buffer.End);
        }
    }

    /// <summary>
    /// Reads the next message of a stream of messages (client-streaming and bidi requests, streamed responses).
    /// Returns null at the clean end of the stream. Complete the returned message before calling again.
    /// </summary>
    /// <exception cref="RpcException">
    /// As for <see cref="ReadSingleMessageAsync"/>, except that neither zero nor several messages are errors.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired or the read was cancelled.</exception>
    public static async ValueTask<GrpcRequestMessage?> TryReadNextMessageAsync(PipeReader reader, GrpcReadOptions options, CancellationToken cancellationToken)
    {
        var maxSize = options.MaxReceiveMessageSize;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            ReadOnlySequence<byte> payload;
            bool compressed;
            bool found;
            try
            {
                ThrowIfCanceled(result);
                var remaining = buffer;
                found = GrpcFraming.TryReadMessage(ref remaining, maxSize, out payload, out compressed);
                if (found && compressed)
                {
                    GrpcCompression.ValidateEncodingForCompressedMessage(options.Encoding);
                }
                else if (!found && result.IsCompleted && !buffer.IsEmpty)
                {
                    throw new RpcException(new Status(StatusCode.Internal, IncompleteMessage));
                }
            }
            catch
            {
                reader.AdvanceTo(buffer.End);
                throw;
            }

            if (!found)
            {
                if (result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.End);
                    return null;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            if (!compressed)
            {
                // Consuming up to the end of this message only: a following message already buffered is
                // returned by the next call without waiting for more data.
                return new GrpcRequestMessage(payload, compressed: false, reader, payload.End);
            }

            try
            {
                var rented = GrpcCompression.Decompress(payload, maxSize, out var length);
                return new GrpcRequestMessage(rented, length);
            }
            finally
            {
                reader.AdvanceTo(payload.End);
            }
        }
    }

    private static void ThrowIfCanceled(in ReadResult result)
    {
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The read of the message stream was cancelled.");
        }
    }
}
