using System.Buffers;
using System.Buffers.Binary;
using Grpc.Core;

namespace Serve.Wire;

/// <summary>
/// The gRPC length-prefixed message framing: a flag byte (0 = uncompressed, 1 = compressed with the
/// call's <c>grpc-encoding</c>) followed by the payload length as a 4-byte big-endian unsigned integer.
/// </summary>
internal static class GrpcFraming
{
    /// <summary>The size of the message prefix (same as <see cref="GrpcProtocol.MessagePrefixSize"/>).</summary>
    public const int HeaderSize = GrpcProtocol.MessagePrefixSize;

    /// <summary>Detail of the RESOURCE_EXHAUSTED status for an oversized received message.</summary>
    public const string ReceivedMessageTooLarge = "Received message exceeds the maximum configured message size.";

    /// <summary>Detail of the RESOURCE_EXHAUSTED status for an oversized message about to be sent.</summary>
    public const string SendingMessageTooLarge = "Sending message exceeds the maximum configured message size.";

    /// <summary>
    /// Tries to take one whole message off the front of <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">
    /// The received bytes. On success, advanced past the message (prefix and payload); unchanged otherwise.
    /// </param>
    /// <param name="maxMessageSize">The largest payload accepted, checked as soon as the prefix is complete,
    /// before the payload is buffered.</param>
    /// <param name="payload">On success, the payload: a slice of the original buffer (no copy).</param>
    /// <param name="compressed">On success, whether the compressed flag was set.</param>
    /// <returns>True when a whole message was read; false when more data is needed.</returns>
    /// <exception cref="RpcException">
    /// INTERNAL when the flag byte is neither 0 nor 1; RESOURCE_EXHAUSTED when the declared length exceeds
    /// <paramref name="maxMessageSize"/>.
    /// </exception>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> payload, out bool compressed)
    {
        if (!TryReadPrefix(buffer, out var flag, out var length))
        {
            payload = default;
            compressed = false;
            return false;
        }

        if (flag > 1)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Invalid message compression flag {flag}: expected 0 or 1."));
        }
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ReceivedMessageTooLarge));
        }

        // length <= maxMessageSize <= int.MaxValue here.
        if (buffer.Length - GrpcProtocol.MessagePrefixSize < length)
        {
            payload = default;
            compressed = false;
            return false;
        }

        payload = buffer.Slice(GrpcProtocol.MessagePrefixSize, length);
        compressed = flag == 1;
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Writes the 5-byte prefix for a payload of <paramref name="length"/> bytes.</summary>
    /// <param name="destination">At least <see cref="GrpcProtocol.MessagePrefixSize"/> bytes.</param>
    /// <param name="compressed">Whether the payload is compressed.</param>
    /// <param name="length">The payload length (non-negative).</param>
    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (destination.Length < GrpcProtocol.MessagePrefixSize)
        {
            throw new ArgumentException("The destination is shorter than the 5-byte message prefix.", nameof(destination));
        }
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1), (uint)length);
    }

    private static bool TryReadPrefix(in ReadOnlySequence<byte> buffer, out byte flag, out uint length)
    {
        if (buffer.Length < GrpcProtocol.MessagePrefixSize)
        {
            flag = 0;
            length = 0;
            return false;
        }

        var first = buffer.FirstSpan;
        if (first.Length >= GrpcProtocol.MessagePrefixSize)
        {
            flag = first[0];
            length = BinaryPrimitives.ReadUInt32BigEndian(first.Slice(1));
            return true;
        }

        // The prefix straddles segments.
        Span<byte> prefix = stackalloc byte[GrpcProtocol.MessagePrefixSize];
        buffer.Slice(0, GrpcProtocol.MessagePrefixSize).CopyTo(prefix);
        flag = prefix[0];
        length = BinaryPrimitives.ReadUInt32BigEndian(prefix.Slice(1));
        return true;
    }
}
