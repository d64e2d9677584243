using System.Buffers;
using System.Buffers.Text;
using System.Net.Http.Headers;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Serve.Wire;

/// <summary>
/// Converts between HTTP/2 headers and gRPC <see cref="Metadata"/>, on the server (Kestrel's
/// <see cref="IHeaderDictionary"/>) and on the client (<see cref="HttpHeaders"/>).
/// </summary>
/// <remarks>
/// <para>
/// Request headers that are not metadata follow grpc-dotnet's server (Grpc.AspNetCore): pseudo headers
/// (<c>:path</c>, ...) and <c>grpc-encoding</c>, <c>grpc-accept-encoding</c>, <c>grpc-timeout</c>,
/// <c>content-encoding</c>, <c>content-type</c>, <c>te</c>, <c>host</c>, <c>accept-encoding</c>.
/// Everything else is metadata, <c>user-agent</c> included (gRPC exposes it). Response headers and trailers
/// read by a client skip pseudo headers, <c>grpc-status</c>, <c>grpc-message</c>, <c>grpc-encoding</c>,
/// <c>grpc-accept-encoding</c>, <c>content-encoding</c> and <c>content-type</c>, as grpc-dotnet's client does.
/// Header names that are not valid metadata keys (outside <c>[a-z0-9-_.]</c>) are skipped.
/// </para>
/// <para>
/// Values of keys ending in <c>-bin</c> are base64 (padded or not, the protocol asks to accept both); a
/// header holding several comma-separated values, or a header repeated, gives one entry per value. An
/// invalid base64 value fails the call with INTERNAL, the status C-core gives a malformed binary header
/// (grpc-dotnet lets the FormatException escape, which ends the call with UNKNOWN). Binary values are sent
/// unpadded, as the protocol recommends.
/// </para>
/// </remarks>
internal static class GrpcMetadataCodec
{
    private static readonly HashSet<string> ReservedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        GrpcProtocol.EncodingHeader,
        GrpcProtocol.AcceptEncodingHeader,
        GrpcProtocol.TimeoutHeader,
        "content-encoding",
        "content-type",
        GrpcProtocol.TEHeader,
        "host",
        "accept-encoding",
    };

    private static readonly HashSet<string> ReservedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        GrpcProtocol.StatusHeader,
        GrpcProtocol.MessageHeader,
        GrpcProtocol.EncodingHeader,
        GrpcProtocol.AcceptEncodingHeader,
        "content-encoding",
        "content-type",
    };

    private static readonly SearchValues<char> KeyChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>The detail of the INTERNAL status for a binary header that is not base64.</summary>
    public static string InvalidBinaryValueMessage(string key) => $"Invalid base64 value in binary metadata header '{key}'.";

    /// <summary>True when a request header named <paramref name="name"/> is protocol, not metadata.</summary>
    public static bool IsReservedRequestHeader(string name) =>
        name.Length == 0 || name[0] == ':' || ReservedRequestHeaders.Contains(name);

    /// <summary>True when a response header or trailer named <paramref name="name"/> is protocol, not metadata.</summary>
    public static bool IsReservedResponseHeader(string name) =>
        name.Length == 0 || name[0] == ':' || ReservedResponseHeaders.Contains(name);

    /// <summary>The request metadata of a call (server side).</summary>
    /// <exception cref="RpcException">INTERNAL when a <c>-bin</c> value is not base64.</exception>
    public static Metadata ReadRequestMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (!IsReservedRequestHeader(name) && IsValidKey(name))
            {
                AddValues(metadata, name, values);
            }
        }
        return metadata;
    }

    /// <summary>
    /// Checks one request header's binary (<c>-bin</c>) metadata without building a <see cref="Metadata"/>:
    /// the proxy reads the few keys it needs directly and builds the full metadata only when a method
    /// asks for it, but a malformed call must still fail up front.
    /// </summary>
    /// <exception cref="RpcException">INTERNAL when a <c>-bin</c> value is not base64.</exception>
    public static void ValidateRequestHeader(string name, StringValues values)
    {
        if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase) && !IsReservedRequestHeader(name) && IsValidKey(name))
        {
            AddValues(new Metadata(), name, values);
        }
    }

    /// <summary>The metadata in response headers or trailers (client side).</summary>
    /// <exception cref="RpcException">INTERNAL when a <c>-bin</c> value is not base64.</exception>
    public static Metadata ReadResponseMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers.NonValidated)
        {
            if (IsReservedResponseHeader(name) || !IsValidKey(name))
            {
                continue;
            }
            foreach (var value in values)
            {
                AddValue(metadata, name, value);
            }
        }
        return metadata;
    }

    /// <summary>
    /// Appends <paramref name="metadata"/> to response headers or trailers (server side), binary values as
    /// unpadded base64. Entries are written as given; the caller keeps protocol names out of user metadata.
    /// </summary>
    public static void WriteMetadata(IHeaderDictionary destination, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            destination.Append(entry.Key, EncodeValue(entry));
        }
    }

    /// <summary>Adds <paramref name="metadata"/> to request headers (client side), binary values as unpadded base64.</summary>
    public static void WriteMetadata(HttpHeaders destination, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            destination.TryAddWithoutValidation(entry.Key, EncodeValue(entry));
        }
    }

    /// <summary>
    /// The key of the first text entry whose value HTTP/2 cannot carry as a gRPC header: gRPC allows printable ASCII
    /// (0x20–0x7E) only, and the server would reset the stream instead of answering. Null when all are valid.
    /// </summary>
    public static string? FindUnsendableTextValue(Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            if (!entry.IsBinary && entry.Value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
            {
                return entry.Key;
            }
        }
        return null;
    }

    /// <summary>The header value of <paramref name="entry"/>: the string itself, or unpadded base64 for binary entries.</summary>
    public static string EncodeValue(Metadata.Entry entry) =>
        entry.IsBinary ? EncodeBinaryValue(entry.ValueBytes) : entry.Value;

    /// <summary>
    /// Decodes one binary header value (padded or unpadded base64; comma-separated values are not split here,
    /// use <see cref="ReadRequestMetadata"/> / <see cref="ReadResponseMetadata"/> for whole headers).
    /// </summary>
    /// <exception cref="RpcException">INTERNAL when <paramref name="value"/> is not base64.</exception>
    public static byte[] DecodeBinary(string value, string key = "-bin") =>
        TryDecodeBinaryValue(value, out var bytes)
            ? bytes
            : throw new RpcException(new Status(StatusCode.Internal, InvalidBinaryValueMessage(key)));

    /// <summary>Base64 without padding.</summary>
    public static string EncodeBinaryValue(ReadOnlySpan<byte> value)
    {
        var base64 = Convert.ToBase64String(value);
        var end = base64.Length;
        while (end > 0 && base64[end - 1] == '=')
        {
            end--;
        }
        return end == base64.Length ? base64 : base64[..end];
    }

    /// <summary>Decodes one base64 value, padded or unpadded. False when it is not base64.</summary>
    public static bool TryDecodeBinaryValue(ReadOnlySpan<char> value, out byte[] bytes)
    {
        value = value.Trim();
        var padding = (4 - (value.Length % 4)) % 4;
        if (padding == 3)
        {
            bytes = [];
            return false;
        }
        var length = value.Length + padding;
        char[]? rented = null;
        var chars = length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(length));
        value.CopyTo(chars);
        chars.Slice(value.Length, padding).Fill('=');
        chars = chars[..length];

        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(length)];
        var ok = Convert.TryFromBase64Chars(chars, decoded, out var written);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
        if (!ok)
        {
            bytes = [];
            return false;
        }
        bytes = written == decoded.Length ? decoded : decoded.AsSpan(0, written).ToArray();
        return true;
    }

    private static void AddValues(Metadata metadata, string name, StringValues values)
    {
        foreach (var value in values)
        {
            if (value is not null)
            {
                AddValue(metadata, name, value);
            }
        }
    }

    private static void AddValue(Metadata metadata, string name, string value)
    {
        if (!name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase))
        {
            metadata.Add(name, value);
            return;
        }
        foreach (var range in value.AsSpan().Split(','))
        {
            if (!TryDecodeBinaryValue(value.AsSpan(range), out var bytes))
            {
                throw new RpcException(new Status(StatusCode.Internal, InvalidBinaryValueMessage(name)));
            }
            metadata.Add(name, bytes);
        }
    }

    private static bool IsValidKey(string name) => name.AsSpan().IndexOfAnyExcept(KeyChars) < 0;
}
