namespace Serve.Config;

/// <summary>
/// Where Serve runs its HTTP and gRPC proxies (Ray Serve's <c>proxy_location</c>).
/// In YAML the values are written as Ray writes them (<c>EveryNode</c>, <c>HeadOnly</c>, <c>Disabled</c>);
/// the loader accepts them case-insensitively.
/// </summary>
public enum ProxyLocation
{
    /// <summary>A proxy on every node (the default).</summary>
    EveryNode = 0,

    /// <summary>A proxy on the head node only.</summary>
    HeadOnly = 1,

    /// <summary>No proxies: applications are reachable through handles only.</summary>
    Disabled = 2,
}

/// <summary>The format of Serve's log lines (<c>logging_config.encoding</c>: <c>TEXT</c> or <c>JSON</c>).</summary>
public enum LogEncoding
{
    /// <summary>Human-readable text lines (the default; YAML <c>TEXT</c>).</summary>
    Text = 0,

    /// <summary>One JSON object per line (YAML <c>JSON</c>).</summary>
    Json = 1,
}

/// <summary>How the gRPC proxy compresses responses (<c>grpc_options.response_compression</c>).</summary>
public enum GrpcResponseCompression
{
    /// <summary>Never compress (the default).</summary>
    Identity = 0,

    /// <summary>Gzip responses for clients whose <c>grpc-accept-encoding</c> lists gzip; others get identity.</summary>
    Gzip = 1,
}
