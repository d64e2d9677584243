using System.Buffers;
using System.IO.Compression;
using Grpc.Core;

namespace Serve.Wire;

/// <summary>Message compression: identity and gzip (System.IO.Compression), the pair every gRPC peer supports.</summary>
internal static class GrpcCompression
{
    /// <summary>Detail of the INTERNAL status for a compressed message without <c>grpc-encoding</c>.</summary>
    public const string MissingEncoding = "Request did not include grpc-encoding value with compressed message.";

    /// <summary>Detail of the INTERNAL status for a compressed message with <c>grpc-encoding: identity</c>.</summary>
    public const string IdentityEncodingWithCompressedMessage = "Request sent 'identity' grpc-encoding value with compressed message.";

    /// <summary>Detail of the INTERNAL status for a compressed message that is not valid gzip.</summary>
    public const string InvalidCompressedData = "Failed to decompress message with grpc-encoding 'gzip'.";

    /// <summary>True for encodings this layer decompresses: identity (or absent) and gzip.</summary>
    public static bool IsSupportedEncoding(string? encoding) =>
        string.IsNullOrWhiteSpace(encoding) || IsIdentity(encoding) || IsGzip(encoding);

    /// <summary>The detail of the UNIMPLEMENTED status for an unsupported <c>grpc-encoding</c>.</summary>
    public static string UnsupportedEncodingMessage(string encoding) =>
        $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity, gzip";

    /// <summary>
    /// True when a peer's <c>grpc-accept-encoding</c> value (a comma-separated list) includes gzip, so
    /// messages to it may be gzipped.
    /// </summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding))
        {
            return false;
        }
        foreach (var range in acceptEncoding.AsSpan().Split(','))
        {
            if (acceptEncoding.AsSpan(range).Trim().Equals(GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    internal static bool IsIdentity(string encoding) =>
        string.Equals(encoding.Trim(), GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase);

    internal static bool IsGzip(string encoding) =>
        string.Equals(encoding.Trim(), GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws the status for a compressed message that cannot be decompressed with <paramref name="encoding"/>.</summary>
    internal static void ValidateEncodingForCompressedMessage(string? encoding)
    {
        if (string.IsNullOrWhiteSpace(encoding))
        {
            throw new RpcException(new Status(StatusCode.Internal, MissingEncoding));
        }
        if (IsIdentity(encoding))
        {
            throw new RpcException(new Status(StatusCode.Internal, IdentityEncodingWithCompressedMessage));
        }
        if (!IsGzip(encoding))
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, UnsupportedEncodingMessage(encoding)));
        }
    }

    /// <summary>
    /// Gunzips <paramref name="compressed"/> into an array rented from <see cref="ArrayPool{T}.Shared"/>;
    /// the caller returns it. More than <paramref name="maxMessageSize"/> decompressed bytes →
    /// RESOURCE_EXHAUSTED, found without inflating past the limit; corrupt data → INTERNAL.
    /// </summary>
    internal static byte[] Decompress(in ReadOnlySequence<byte> compressed, int maxMessageSize, out int length)
    {
        var capacity = (int)Math.Min(Math.Min(Math.Max(compressed.Length * 4, 256), 64 * 1024), maxMessageSize + 1L);
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var written = 0;
        try
        {
            using var source = new ReadOnlySequenceStream(compressed);
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            while (true)
            {
                if (written == buffer.Length)
                {
                    if (written > maxMessageSize)
                    {
                        throw new RpcException(new Status(StatusCode.ResourceExhausted, GrpcFraming.ReceivedMessageTooLarge));
                    }
                    // Grow, but never beyond one byte past the limit: that byte is enough to tell "too large".
                    var next = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxMessageSize + 1L));
                    buffer.AsSpan(0, written).CopyTo(next);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = next;
                }
                var limit = (int)Math.Min(buffer.Length, maxMessageSize + 1L);
                var read = gzip.Read(buffer, written, limit - written);
                if (read == 0)
                {
                    break;
                }
                written += read;
                if (written > maxMessageSize)
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, GrpcFraming.ReceivedMessageTooLarge));
                }
            }
        }
        catch (InvalidDataException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new RpcException(new Status(StatusCode.Internal, InvalidCompressedData));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        if (!HasValidTrailer(compressed, buffer.AsSpan(0, written)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new RpcException(new Status(StatusCode.Internal, InvalidCompressedData));
        }
        length = written;
        return buffer;
    }

    /// <summary>
    /// True when the gzip member ends with the CRC-32 and length of <paramref name="data"/>.
    /// GZipStream stops quietly at the end of truncated input, so this is what catches a cut message.
    /// </summary>
    private static bool HasValidTrailer(in ReadOnlySequence<byte> compressed, ReadOnlySpan<byte> data)
    {
        const int HeaderSize = 10;
        const int TrailerSize = 8;
        if (compressed.Length < HeaderSize + TrailerSize)
        {
            return false;
        }
        Span<byte> trailer = stackalloc byte[TrailerSize];
        compressed.Slice(compressed.Length - TrailerSize).CopyTo(trailer);
        var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        return size == (uint)data.Length && crc == Crc32.Compute(data);
    }

    /// <summary>Gzips <paramref name="data"/> into <paramref name="destination"/>.</summary>
    internal static void Compress(ReadOnlySpan<byte> data, PooledBufferStream destination, CompressionLevel level)
    {
        using var gzip = new GZipStream(destination, level, leaveOpen: true);
        gzip.Write(data);
    }
}
