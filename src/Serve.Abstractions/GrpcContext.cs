using Grpc.Core;

namespace Serve;

/// <summary>
/// The gRPC side of a call, for deployment methods that declare a parameter of this type (Ray
/// Serve's <c>grpc_context</c>): read the invocation metadata, peer and deadline; set the status
/// code, details and trailing metadata the client receives.
/// </summary>
/// <remarks>
/// When a unary method sets a code other than OK, the returned message is not sent: the client
/// gets that status, the details and the trailing metadata (after <c>request_id</c>). An unhandled
/// exception ends the call with INTERNAL whatever was set here.
/// </remarks>
public sealed class GrpcContext
{
    private Metadata? _responseTrailers;

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
