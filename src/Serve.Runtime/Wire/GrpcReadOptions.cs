namespace Serve.Wire;

/// <summary>How received messages are read: the size limit and the peer's <c>grpc-encoding</c>.</summary>
/// <remarks>A struct so a call builds one without allocating. <c>default</c> means the 4 MB limit and no encoding.</remarks>
internal readonly struct GrpcReadOptions
{
    private readonly int _maxReceiveMessageSize;

    /// <summary>Creates options.</summary>
    /// <param name="maxReceiveMessageSize">The largest message accepted, compressed or decompressed.</param>
    /// <param name="encoding">
    /// The value of the peer's <c>grpc-encoding</c> header; null or empty when absent (so
    /// <c>Request.Headers["grpc-encoding"].ToString()</c> can be passed as is).
    /// </param>
    public GrpcReadOptions(int maxReceiveMessageSize, string? encoding = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxReceiveMessageSize);
        Encoding = encoding;
        _maxReceiveMessageSize = maxReceiveMessageSize;
    }

    /// <summary>The value of the peer's <c>grpc-encoding</c> header; null or empty when absent.</summary>
    public string? Encoding { get; }

    /// <summary>The largest message accepted (default 4 MB); applies to the decompressed size too.</summary>
    public int MaxReceiveMessageSize => _maxReceiveMessageSize == 0 ? GrpcProtocol.DefaultMaxReceiveMessageSize : _maxReceiveMessageSize;
}

/// <summary>How messages are written: the size limit and whether to gzip them.</summary>
internal readonly struct GrpcWriteOptions
{
    /// <summary>Creates options.</summary>
    /// <param name="compress">
    /// Gzip each message and set the compressed flag. Only when the peer listed <c>gzip</c> in its
    /// <c>grpc-accept-encoding</c> (see <see cref="GrpcCompression.AcceptsGzip"/>) and the sender announced
    /// <c>grpc-encoding: gzip</c> in its headers.
    /// </param>
    /// <param name="maxSendMessageSize">The largest (uncompressed) message sent, or null for no limit.</param>
    /// <param name="compressionLevel">The gzip level when compressing.</param>
    public GrpcWriteOptions(bool compress = false, int? maxSendMessageSize = null,
        System.IO.Compression.CompressionLevel compressionLevel = System.IO.Compression.CompressionLevel.Fastest)
    {
        if (maxSendMessageSize is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(max);
        }
        Compress = compress;
        MaxSendMessageSize = maxSendMessageSize;
        CompressionLevel = compressionLevel;
    }

    /// <summary>Whether messages are gzipped. Default: identity.</summary>
    public bool Compress { get; }

    /// <summary>The largest (uncompressed) message sent, or null for no limit (the gRPC default).</summary>
    public int? MaxSendMessageSize { get; }

    /// <summary>The gzip level when compressing.</summary>
    public System.IO.Compression.CompressionLevel CompressionLevel { get; }
}
