using Grpc.Core;

namespace Serve.Wire;

/// <summary>
/// Well-known names and values of the gRPC-over-HTTP/2 protocol
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
/// </summary>
internal static class GrpcProtocol
{
    /// <summary>The gRPC content type; responses always carry exactly this value.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>The gRPC content type with the explicit protobuf suffix.</summary>
    public const string ProtoContentType = "application/grpc+proto";

    /// <summary>Trailer (or trailers-only header) carrying the numeric status code.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>Trailer carrying the percent-encoded status detail (see <see cref="GrpcStatusMessage"/>).</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>Header naming the compression of messages sent in this direction.</summary>
    public const string EncodingHeader = "grpc-encoding";

    /// <summary>Header listing the compressions the sender accepts.</summary>
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>Request header carrying the call's timeout (see <see cref="GrpcTimeout"/>).</summary>
    public const string TimeoutHeader = "grpc-timeout";

    /// <summary>The <c>te</c> request header.</summary>
    public const string TEHeader = "te";

    /// <summary>The only value of <c>te</c> gRPC uses.</summary>
    public const string TrailersValue = "trailers";

    /// <summary>The rich-status trailer (a base64 google.rpc.Status); ordinary binary metadata for this layer.</summary>
    public const string StatusDetailsHeader = "grpc-status-details-bin";

    /// <summary>The identity (no compression) encoding.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>The gzip encoding.</summary>
    public const string GzipEncoding = "gzip";

    /// <summary>
    /// Value of <c>grpc-accept-encoding</c> this implementation sends: on every response, and in particular
    /// together with the UNIMPLEMENTED status answering an unsupported <c>grpc-encoding</c>.
    /// </summary>
    public const string AcceptEncodingValue = "identity,gzip";

    /// <summary>The default maximum size of a received message (4 MB), as in every gRPC implementation.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>The size of the prefix before each message: a flag byte and a 4-byte big-endian length.</summary>
    public const int MessagePrefixSize = 5;

    private static readonly string[] StatusCodeStrings =
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16"];

    /// <summary>
    /// True when <paramref name="contentType"/> is one this server answers: <c>application/grpc</c> or
    /// <c>application/grpc+proto</c> (case-insensitive), optionally followed by <c>;</c> and parameters.
    /// Anything else (missing, <c>application/grpc+json</c>, <c>application/grpc-web</c>, ...) is not, and the
    /// caller answers HTTP 415.
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }
        var span = contentType.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
        {
            span = span[..semicolon];
        }
        span = span.Trim();
        return span.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || span.Equals(ProtoContentType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The <c>grpc-status</c> value for <paramref name="code"/>, without allocating for known codes.</summary>
    public static string ToStatusString(StatusCode code)
    {
        var value = (int)code;
        return (uint)value < (uint)StatusCodeStrings.Length
            ? StatusCodeStrings[value]
            : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parses a <c>grpc-status</c> value. Returns false when it is missing or not a non-negative integer;
    /// a client then reports UNKNOWN (or INTERNAL when the status is missing entirely).
    /// </summary>
    public static bool TryParseStatus(string? value, out StatusCode code)
    {
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            code = (StatusCode)number;
            return true;
        }
        code = StatusCode.Unknown;
        return false;
    }
}
