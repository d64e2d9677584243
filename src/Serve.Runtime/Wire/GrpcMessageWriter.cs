using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;

namespace Serve.Wire;

/// <summary>
/// Writes length-prefixed gRPC messages into a <see cref="PipeWriter"/> (Kestrel's <c>Response.BodyWriter</c>,
/// or a request body on the client) or any other buffer writer. Nothing is flushed: the caller flushes when it wants the bytes sent.
/// </summary>
internal static class GrpcMessageWriter
{
    /// <summary>
    /// Serializes <paramref name="message"/> straight into <paramref name="writer"/>'s memory behind its prefix
    /// (uncompressed), or gzips it when <see cref="GrpcWriteOptions.Compress"/> is set.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the serialized size exceeds the send limit.</exception>
    public static void WriteMessage(IBufferWriter<byte> writer, IMessage message, GrpcWriteOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        CheckSendSize(size, options);

        if (!options.Compress)
        {
            var span = writer.GetSpan(GrpcProtocol.MessagePrefixSize + size);
            GrpcFraming.WriteHeader(span, compressed: false, size);
            message.WriteTo(span.Slice(GrpcProtocol.MessagePrefixSize, size));
            writer.Advance(GrpcProtocol.MessagePrefixSize + size);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            var serialized = rented.AsSpan(0, size);
            message.WriteTo(serialized);
            WriteCompressed(writer, serialized, options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes <paramref name="message"/> uncompressed, failing when larger than <paramref name="maxSendMessageSize"/>.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the serialized size exceeds <paramref name="maxSendMessageSize"/>.</exception>
    public static void WriteMessage(PipeWriter writer, IMessage message, int maxSendMessageSize) =>
        WriteMessage(writer, message, new GrpcWriteOptions(compress: false, maxSendMessageSize));

    /// <summary>
    /// Frames an already-serialized payload (for example a response forwarded from a replica in another
    /// process), gzipping it when <see cref="GrpcWriteOptions.Compress"/> is set.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the payload exceeds the send limit.</exception>
    public static void WriteMessage(PipeWriter writer, ReadOnlySequence<byte> payload, GrpcWriteOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (payload.Length > int.MaxValue)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, GrpcFraming.SendingMessageTooLarge));
        }
        var size = (int)payload.Length;
        CheckSendSize(size, options);

        if (!options.Compress)
        {
            var prefix = writer.GetSpan(GrpcProtocol.MessagePrefixSize);
            GrpcFraming.WriteHeader(prefix, compressed: false, size);
            writer.Advance(GrpcProtocol.MessagePrefixSize);
            foreach (var segment in payload)
            {
                writer.Write(segment.Span);
            }
            return;
        }

        if (payload.IsSingleSegment)
        {
            WriteCompressed(writer, payload.FirstSpan, options);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            payload.CopyTo(rented);
            WriteCompressed(writer, rented.AsSpan(0, size), options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void CheckSendSize(int size, in GrpcWriteOptions options)
    {
        if (options.MaxSendMessageSize is { } max && size > max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, GrpcFraming.SendingMessageTooLarge));
        }
    }

    private static void WriteCompressed(IBufferWriter<byte> writer, ReadOnlySpan<byte> data, in GrpcWriteOptions options)
    {
        using var compressed = new PooledBufferStream(Math.Max(256, data.Length / 2));
        GrpcCompression.Compress(data, compressed, options.CompressionLevel);
        var bytes = compressed.WrittenSpan;
        var prefix = writer.GetSpan(GrpcProtocol.MessagePrefixSize);
        GrpcFraming.WriteHeader(prefix, compressed: true, bytes.Length);
        writer.Advance(GrpcProtocol.MessagePrefixSize);
        writer.Write(bytes);
    }
}
