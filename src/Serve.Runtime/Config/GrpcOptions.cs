namespace Serve.Config;

/// <summary>The gRPC proxy's options (<c>grpc_options</c>), with Ray Serve's defaults.</summary>
public sealed record GrpcOptions
{
    /// <summary>The default <see cref="Port"/>: 9000.</summary>
    public const int DefaultPort = 9000;

    /// <summary>The default <see cref="MaxReceiveMessageLength"/>: 4 MiB (4,194,304 bytes), as in grpc-dotnet.</summary>
    public const int DefaultMaxReceiveMessageLength = 4 * 1024 * 1024;

    /// <summary>
    /// The default <see cref="MaxSendMessageLength"/>: <see cref="int.MaxValue"/> (2 GiB − 1 bytes), Ray's limit
    /// and in effect no limit beyond the protocol's own.
    /// </summary>
    public const int DefaultMaxSendMessageLength = int.MaxValue;

    /// <summary>The gRPC port (<c>port</c>; default 9000; 0–65535, 0 lets the operating system choose).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The gRPC services to serve (<c>grpc_servicer_functions</c>). Each entry is a fully qualified protobuf
    /// service name (<c>userdefinedprotos.UserDefinedService</c>) or Ray's Python form
    /// (<c>user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server</c>); see
    /// <see cref="GrpcServicerFunction"/>. Empty (the default) means no gRPC server is started, as in Ray.
    /// </summary>
    public IReadOnlyList<string> GrpcServicerFunctions { get; init; } = [];

    /// <summary>The end-to-end timeout of one gRPC call in seconds (<c>request_timeout_s</c>; default none; &gt; 0 when set).</summary>
    public double? RequestTimeoutS { get; init; }

    /// <summary>The largest request message accepted, in bytes (<c>max_receive_message_length</c>; default 4 MiB; ≥ 1).</summary>
    public int MaxReceiveMessageLength { get; init; } = DefaultMaxReceiveMessageLength;

    /// <summary>The largest response message sent, in bytes (<c>max_send_message_length</c>; default <see cref="int.MaxValue"/>; ≥ 1).</summary>
    public int MaxSendMessageLength { get; init; } = DefaultMaxSendMessageLength;

    /// <summary>Whether the gRPC server reflection service is served (<c>enable_reflection</c>; default true).</summary>
    public bool EnableReflection { get; init; } = true;

    /// <summary>Response compression (<c>response_compression</c>: identity or gzip; default identity). Gzip applies only to clients that accept it.</summary>
    public GrpcResponseCompression ResponseCompression { get; init; } = GrpcResponseCompression.Identity;

    /// <summary>Whether a gRPC server should run: true when <see cref="GrpcServicerFunctions"/> is not empty.</summary>
    public bool IsEnabled => GrpcServicerFunctions is { Count: > 0 };

    /// <summary>Parses every entry of <see cref="GrpcServicerFunctions"/>; throws <see cref="ServeConfigException"/> naming the invalid entries.</summary>
    /// <returns>The parsed entries, in order.</returns>
    public IReadOnlyList<GrpcServicerFunction> ParseServicerFunctions()
    {
        ConfigIssues.Run(nameof(GrpcOptions), issues => ValidateServicerFunctions(issues, ""));
        var result = new List<GrpcServicerFunction>(GrpcServicerFunctions.Count);
        foreach (var text in GrpcServicerFunctions)
        {
            result.Add(GrpcServicerFunction.Parse(text));
        }

        return result;
    }

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(GrpcOptions), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path)
    {
        ConfigRules.Port(issues, ConfigPath.Key(path, "port"), Port);
        ValidateServicerFunctions(issues, path);
        ConfigRules.PositiveOrNull(issues, ConfigPath.Key(path, "request_timeout_s"), RequestTimeoutS);
        ConfigRules.AtLeast(issues, ConfigPath.Key(path, "max_receive_message_length"), MaxReceiveMessageLength, 1, "bytes");
        ConfigRules.AtLeast(issues, ConfigPath.Key(path, "max_send_message_length"), MaxSendMessageLength, 1, "bytes");
    }

    private void ValidateServicerFunctions(ConfigIssues issues, string path)
    {
        var listPath = ConfigPath.Key(path, "grpc_servicer_functions");
        if (GrpcServicerFunctions is null)
        {
            issues.Add(listPath, "must be a list of gRPC service names; got null.");
            return;
        }

        for (var i = 0; i < GrpcServicerFunctions.Count; i++)
        {
            if (!GrpcServicerFunction.TryParse(GrpcServicerFunctions[i], out _, out var error))
            {
                issues.Add(ConfigPath.Index(listPath, i), error);
            }
        }
    }
}
