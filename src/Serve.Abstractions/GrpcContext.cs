using Grpc.Core;

namespace Serve;

/// <summary>
/// The gRPC side of a call, for deployment methods that declare a parameter of this type (Ray
/// Serve's <c>grpc_context</c>): read the invocation metadata, peer and deadline; set the status
/// code, details, trailing metadata and response compression the client receives.
/// </summary>
/// <remarks>
/// When a unary method sets a code other than OK, the returned message is not sent: the client
/// gets that status, the details and the trailing metadata (after <c>request_id</c>). An unhandled
/// exception ends the call with INTERNAL whatever was set here.
/// </remarks>
public sealed class GrpcContext
{
    private Metadata? _responseTrailers;
    private string? _responseCompressionAlgorithm;

    /// <summary>Creates a context; the runtime does this for each call.</summary>
    public GrpcContext(string method, Metadata requestHeaders, string peer, DateTime? deadline, CancellationToken cancellationToken)
    {
        Method = method;
        RequestHeaders = requestHeaders;
        Peer = peer;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The method path, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    /// <summary>The metadata the client sent (Ray's <c>invocation_metadata()</c>).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>The client's address, as gRPC writes it: <c>ipv4:127.0.0.1:50312</c> or <c>ipv6:[::1]:50312</c>.</summary>
    public string Peer { get; }

    /// <summary>When the call must finish (UTC), from the client's <c>grpc-timeout</c> and <c>request_timeout_s</c>; null when unbounded.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the client leaves or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The status code the call ends with (Ray's <c>set_code</c>). Default OK.</summary>
    public StatusCode StatusCode { get; set; } = StatusCode.OK;

    /// <summary>The status details sent as <c>grpc-message</c> (Ray's <c>set_details</c>), also with OK.</summary>
    public string Detail { get; set; } = "";

    /// <summary>
    /// How this call's response messages are compressed (Ray's <c>set_compression</c>): <c>"gzip"</c>, or
    /// <c>"identity"</c> for none; null (the default) keeps <c>grpc_options.response_compression</c>. As in gRPC, gzip is
    /// used only when the client accepts it (<c>grpc-accept-encoding</c>). Read when the first response message is
    /// written, so a streaming method sets it before its first <c>yield</c>. The names are grpc-dotnet's
    /// (<c>GrpcServiceOptions.ResponseCompressionAlgorithm</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Neither <c>"gzip"</c>, <c>"identity"</c> nor null: Serve compresses with gzip only.</exception>
    public string? ResponseCompressionAlgorithm
    {
        get => _responseCompressionAlgorithm;
        set => _responseCompressionAlgorithm = value is null or "gzip" or "identity"
            ? value
            : throw new ArgumentException($"Unsupported response compression '{value}': Serve compresses responses with \"gzip\" or not at all (\"identity\").", nameof(value));
    }

    /// <summary>Trailing metadata sent after <c>request_id</c> (Ray's <c>set_trailing_metadata</c>).</summary>
    public Metadata ResponseTrailers => _responseTrailers ??= new Metadata();

    /// <summary>True when any trailing metadata was added.</summary>
    public bool HasResponseTrailers => _responseTrailers is { Count: > 0 };

    /// <summary>Replaces the trailing metadata (Ray's <c>set_trailing_metadata([(key, value), ...])</c>).</summary>
    public void SetTrailingMetadata(params (string Key, string Value)[] entries)
    {
        _responseTrailers = new Metadata();
        foreach (var (key, value) in entries)
        {
            _responseTrailers.Add(key, value);
        }
    }
}
