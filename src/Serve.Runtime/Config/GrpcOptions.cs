using Field = Serve.Config.ConfigFields<Serve.Config.GrpcOptions>;

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

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    private void ValidateServicerFunctions(ConfigIssues issues, string path)
        => ValidateServicerFunctionList(this, issues, ConfigPath.Key(path, "grpc_servicer_functions"));

    private static void ValidateServicerFunctionList(GrpcOptions options, ConfigIssues issues, string listPath)
    {
        if (options.GrpcServicerFunctions is null)
        {
            issues.Add(listPath, "must be a list of gRPC service names; got null.");
            return;
        }

        for (var i = 0; i < options.GrpcServicerFunctions.Count; i++)
        {
            if (!GrpcServicerFunction.TryParse(options.GrpcServicerFunctions[i], out _, out var error))
            {
                issues.Add(ConfigPath.Index(listPath, i), error);
            }
        }
    }

    /// <summary>The keys of <c>grpc_options</c>: each one's reading, rules, writing, status JSON and change handling.</summary>
    internal static ConfigSection<GrpcOptions> Schema { get; } = new(
        "grpc_options",
        static () => new GrpcOptions(),
        [
            Field.Of("port", ConfigValues.Int, static o => o.Port, static (o, v) => o with { Port = v },
                OnChange.Restart, InJson.Shown, writeAlways: true,
                validate: static (o, issues, p) => ConfigRules.Port(issues, p, o.Port)),
            Field.Of("grpc_servicer_functions", ConfigValues.StringList("a list of gRPC service names"),
                static o => o.GrpcServicerFunctions, static (o, v) => o with { GrpcServicerFunctions = v },
                OnChange.Restart, InJson.Shown, writeAlways: true,
                validate: ValidateServicerFunctionList),
            Field.Of("request_timeout_s", ConfigValues.NullableSeconds, static o => o.RequestTimeoutS, static (o, v) => o with { RequestTimeoutS = v },
                OnChange.Restart, InJson.Shown,
                validate: static (o, issues, p) => ConfigRules.PositiveOrNull(issues, p, o.RequestTimeoutS)),
            Field.Of("max_receive_message_length", ConfigValues.Int, static o => o.MaxReceiveMessageLength, static (o, v) => o with { MaxReceiveMessageLength = v },
                OnChange.Restart, InJson.Hidden(NotInRaysStatus),
                validate: static (o, issues, p) => ConfigRules.AtLeast(issues, p, o.MaxReceiveMessageLength, 1, "bytes")),
            Field.Of("max_send_message_length", ConfigValues.Int, static o => o.MaxSendMessageLength, static (o, v) => o with { MaxSendMessageLength = v },
                OnChange.Restart, InJson.Hidden(NotInRaysStatus),
                validate: static (o, issues, p) => ConfigRules.AtLeast(issues, p, o.MaxSendMessageLength, 1, "bytes")),
            Field.Of("enable_reflection", ConfigValues.Bool, static o => o.EnableReflection, static (o, v) => o with { EnableReflection = v },
                OnChange.Restart, InJson.Hidden(NotInRaysStatus)),
            Field.Of("response_compression", ConfigValues.Enum<GrpcResponseCompression>("identity or gzip", static v => v.ToString().ToLowerInvariant()),
                static o => o.ResponseCompression, static (o, v) => o with { ResponseCompression = v },
                OnChange.Restart, InJson.Hidden(NotInRaysStatus)),
        ]);

    private const string NotInRaysStatus = "Ray's grpc_options in the status has port, grpc_servicer_functions and request_timeout_s only";
}
