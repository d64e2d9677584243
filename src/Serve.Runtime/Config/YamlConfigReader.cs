using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serve.Config;

/// <summary>Maps a YAML node tree to the config model by hand (no reflection). Type errors are reported here; range rules live in the model's Validate.</summary>
internal sealed class YamlConfigReader
{
    private static readonly string[] TopKeys = ["proxy_location", "http_options", "grpc_options", "logging_config", "applications"];
    private static readonly string[] HttpKeys = ["host", "port", "root_path", "request_timeout_s", "keep_alive_timeout_s", "max_request_body_size", "request_body_memory_limit"];
    private static readonly string[] GrpcKeys = ["port", "grpc_servicer_functions", "request_timeout_s", "max_receive_message_length", "max_send_message_length", "enable_reflection", "response_compression"];
    private static readonly string[] LoggingKeys = ["log_level", "logs_dir", "encoding", "enable_access_log"];
    private static readonly string[] AppKeys = ["name", "route_prefix", "import_path", "runtime_env", "args", "deployments"];
    private static readonly string[] DeploymentKeys =
    [
        "name", "num_replicas", "max_ongoing_requests", "max_queued_requests", "user_config", "graceful_shutdown_timeout_s",
        "graceful_shutdown_wait_loop_s", "health_check_period_s", "health_check_timeout_s",
    ];

    private const string NotSupported = "is a Ray Serve option that Serve for .NET does not support yet";

    private static readonly Dictionary<string, string> TopUnsupported = new(StringComparer.Ordinal)
    {
        ["target_capacity"] = NotSupported + ".",
        ["import_path"] = "belongs to an application: Serve reads Ray's multi-application layout, so write it under applications[] (with name and route_prefix).",
    };

    private static readonly Dictionary<string, string> HttpUnsupported = new(StringComparer.Ordinal)
    {
        ["ssl_keyfile"] = NotSupported + " (TLS).",
        ["ssl_certfile"] = NotSupported + " (TLS).",
        ["ssl_keyfile_password"] = NotSupported + " (TLS).",
        ["ssl_ca_certs"] = NotSupported + " (TLS).",
        ["location"] = "is deprecated in Ray; use the top-level proxy_location.",
        ["middlewares"] = NotSupported + ".",
        ["num_cpus"] = NotSupported + ".",
    };

    private static readonly Dictionary<string, string> LoggingUnsupported = new(StringComparer.Ordinal)
    {
        ["additional_log_standard_attrs"] = NotSupported + ".",
    };

    private static readonly Dictionary<string, string> AppUnsupported = new(StringComparer.Ordinal)
    {
        ["host"] = "is deprecated in Ray; set http_options.host.",
        ["port"] = "is deprecated in Ray; set http_options.port.",
        ["logging_config"] = NotSupported + " per application; set the top-level logging_config.",
        ["external_scaler_enabled"] = NotSupported + ".",
    };

    private static readonly Dictionary<string, string> DeploymentUnsupported = new(StringComparer.Ordinal)
    {
        ["autoscaling_config"] = NotSupported + " (autoscaling); set num_replicas to a fixed number.",
        ["ray_actor_options"] = NotSupported + " (Ray actors).",
        ["placement_group_bundles"] = NotSupported + ".",
        ["placement_group_strategy"] = NotSupported + ".",
        ["max_replicas_per_node"] = NotSupported + ".",
        ["logging_config"] = NotSupported + " per deployment; set the top-level logging_config.",
        ["request_router_config"] = NotSupported + ".",
        ["max_constructor_retry_count"] = NotSupported + ".",
        ["max_concurrent_queries"] = "was renamed max_ongoing_requests in Ray 2.10; use max_ongoing_requests.",
    };

    private static readonly Dictionary<string, string> NoUnsupported = new(StringComparer.Ordinal);

    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    public YamlConfigReader(string sourceName)
    {
        Issues = new ConfigIssues(sourceName, Locate);
    }

    public ConfigIssues Issues { get; }

    public ServeConfig Read(YamlStream stream)
    {
        var config = new ServeConfig();
        if (stream.Documents.Count == 0)
        {
            return config;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            Error("", second, $"the file holds {stream.Documents.Count} YAML documents (separated by \"---\"); a Serve config is one document.");
            return config;
        }

        var root = stream.Documents[0].RootNode;
        Remember("", root);
        if (IsNull(root))
        {
            return config;
        }

        if (root is not YamlMappingNode map)
        {
            Error("", root, $"the config must be a mapping with the keys {string.Join(", ", TopKeys)}; got {Describe(root)}.");
            return config;
        }

        foreach (var (key, value, path) in Entries(map, "", "the config's top level", TopKeys, TopUnsupported))
        {
            switch (key)
            {
                case "proxy_location":
                    if (ReadEnum(value, path, out ProxyLocation location, "EveryNode, HeadOnly or Disabled"))
                    {
                        config = config with { ProxyLocation = location };
                    }

                    break;
                case "http_options":
                    config = config with { HttpOptions = ReadHttp(value, path) };
                    break;
                case "grpc_options":
                    config = config with { GrpcOptions = ReadGrpc(value, path) };
                    break;
                case "logging_config":
                    config = config with { LoggingConfig = ReadLogging(value, path) };
                    break;
                case "applications":
                    config = config with { Applications = ReadList(value, path, "a list of applications", ReadApplication) };
                    break;
            }
        }

        return config;
    }

    private HttpOptions ReadHttp(YamlNode node, string path)
    {
        var result = new HttpOptions();
        if (!ExpectMapping(node, path, "http_options", out var map))
        {
            return result;
        }

        foreach (var (key, value, p) in Entries(map, path, "http_options", HttpKeys, HttpUnsupported))
        {
            switch (key)
            {
                case "host":
                    if (ReadString(value, p, nullable: false, out var host))
                    {
                        result = result with { Host = host! };
                    }

                    break;
                case "port":
                    if (ReadInt(value, p, nullable: false, out var port))
                    {
                        result = result with { Port = port!.Value };
                    }

                    break;
                case "root_path":
                    if (ReadString(value, p, nullable: false, out var rootPath))
                    {
                        result = result with { RootPath = rootPath! };
                    }

                    break;
                case "request_timeout_s":
                    if (ReadDouble(value, p, nullable: true, out var timeout))
                    {
                        result = result with { RequestTimeoutS = timeout };
                    }

                    break;
                case "keep_alive_timeout_s":
                    if (ReadDouble(value, p, nullable: false, out var keepAlive))
                    {
                        result = result with { KeepAliveTimeoutS = keepAlive!.Value };
                    }

                    break;
                case "max_request_body_size":
                    if (ReadInt(value, p, nullable: false, out var maxBody))
                    {
                        result = result with { MaxRequestBodySize = maxBody!.Value };
                    }

                    break;
                case "request_body_memory_limit":
                    if (ReadLong(value, p, nullable: true, long.MinValue, long.MaxValue, out var memoryLimit))
                    {
                        result = result with { RequestBodyMemoryLimit = memoryLimit };
                    }

                    break;
            }
        }

        return result;
    }

    private GrpcOptions ReadGrpc(YamlNode node, string path)
    {
        var result = new GrpcOptions();
        if (!ExpectMapping(node, path, "grpc_options", out var map))
        {
            return result;
        }

        foreach (var (key, value, p) in Entries(map, path, "grpc_options", GrpcKeys, NoUnsupported))
        {
            switch (key)
            {
                case "port":
                    if (ReadInt(value, p, nullable: false, out var port))
                    {
                        result = result with { Port = port!.Value };
                    }

                    break;
                case "grpc_servicer_functions":
                    result = result with
                    {
                        GrpcServicerFunctions = ReadList(value, p, "a list of gRPC service names", (item, itemPath) =>
                            ReadString(item, itemPath, nullable: false, out var text) ? text : null),
                    };
                    break;
                case "request_timeout_s":
                    if (ReadDouble(value, p, nullable: true, out var timeout))
                    {
                        result = result with { RequestTimeoutS = timeout };
                    }

                    break;
                case "max_receive_message_length":
                    if (ReadInt(value, p, nullable: false, out var receive))
                    {
                        result = result with { MaxReceiveMessageLength = receive!.Value };
                    }

                    break;
                case "max_send_message_length":
                    if (ReadInt(value, p, nullable: false, out var send))
                    {
                        result = result with { MaxSendMessageLength = send!.Value };
                    }

                    break;
                case "enable_reflection":
                    if (ReadBool(value, p, out var reflection))
                    {
                        result = result with { EnableReflection = reflection };
                    }

                    break;
                case "response_compression":
                    if (ReadEnum(value, p, out GrpcResponseCompression compression, "identity or gzip"))
                    {
                        result = result with { ResponseCompression = compression };
                    }

                    break;
            }
        }

        return result;
    }

    private LoggingConfig ReadLogging(YamlNode node, string path)
    {
        var result = new LoggingConfig();
        if (!ExpectMapping(node, path, "logging_config", out var map))
        {
            return result;
        }

        foreach (var (key, value, p) in Entries(map, path, "logging_config", LoggingKeys, LoggingUnsupported))
        {
            switch (key)
            {
                case "log_level":
                    if (ReadString(value, p, nullable: false, out var level))
                    {
                        result = result with { LogLevel = LoggingConfig.NormalizeLogLevel(level) ?? level! };
                    }

                    break;
                case "logs_dir":
                    if (ReadString(value, p, nullable: true, out var dir))
                    {
                        result = result with { LogsDir = dir };
                    }

                    break;
                case "encoding":
                    if (ReadEnum(value, p, out LogEncoding encoding, "TEXT or JSON"))
                    {
                        result = result with { Encoding = encoding };
                    }

                    break;
                case "enable_access_log":
                    if (ReadBool(value, p, out var access))
                    {
                        result = result with { EnableAccessLog = access };
                    }

                    break;
            }
        }

        return result;
    }

    private ApplicationConfig? ReadApplication(YamlNode node, string path)
    {
        if (!ExpectMapping(node, path, "an application", out var map, nullIsEmpty: false))
        {
            return null;
        }

        var result = new ApplicationConfig { ImportPath = "" };
        var hasImportPath = false;
        foreach (var (key, value, p) in Entries(map, path, "an application", AppKeys, AppUnsupported))
        {
            switch (key)
            {
                case "name":
                    if (ReadString(value, p, nullable: false, out var name))
                    {
                        result = result with { Name = name! };
                    }

                    break;
                case "route_prefix":
                    if (ReadString(value, p, nullable: true, out var route))
                    {
                        result = result with { RoutePrefix = route };
                    }

                    break;
                case "import_path":
                    hasImportPath = true;
                    if (ReadString(value, p, nullable: false, out var importPath))
                    {
                        result = result with { ImportPath = importPath! };
                    }

                    break;
                case "runtime_env":
                    result = result with { RuntimeEnv = ReadRuntimeEnv(value, p) };
                    break;
                case "args":
                    result = result with { Args = ReadArgs(value, p) };
                    break;
                case "deployments":
                    result = result with { Deployments = ReadList(value, p, "a list of deployment options", ReadDeployment) };
                    break;
            }
        }

        if (!hasImportPath)
        {
            Error(ConfigPath.Key(path, "import_path"), map, "is required: every application needs an import_path, e.g. \"GrpcQuickstart.Applications:App1\".");
        }

        return result;
    }

    private DeploymentConfig? ReadDeployment(YamlNode node, string path)
    {
        if (!ExpectMapping(node, path, "a deployment's options", out var map, nullIsEmpty: false))
        {
            return null;
        }

        var result = new DeploymentConfig { Name = "" };
        var hasName = false;
        foreach (var (key, value, p) in Entries(map, path, "a deployment's options", DeploymentKeys, DeploymentUnsupported))
        {
            switch (key)
            {
                case "name":
                    hasName = true;
                    if (ReadString(value, p, nullable: false, out var name))
                    {
                        result = result with { Name = name! };
                    }

                    break;
                case "num_replicas":
                    if (value is YamlScalarNode { Value: { } text } && string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase))
                    {
                        Error(p, value, "\"auto\" (autoscaling) is not supported yet; set a fixed number of replicas (an integer ≥ 1).");
                    }
                    else if (ReadInt(value, p, nullable: true, out var replicas))
                    {
                        result = result with { NumReplicas = replicas };
                    }

                    break;
                case "max_ongoing_requests":
                    if (ReadInt(value, p, nullable: true, out var ongoing))
                    {
                        result = result with { MaxOngoingRequests = ongoing };
                    }

                    break;
                case "max_queued_requests":
                    if (ReadInt(value, p, nullable: true, out var queued))
                    {
                        result = result with { MaxQueuedRequests = queued };
                    }

                    break;
                case "user_config":
                    if (!IsNull(value) && ToJson(value, p) is { } json)
                    {
                        result = result with { UserConfig = json };
                    }

                    break;
                case "graceful_shutdown_timeout_s":
                    if (ReadDouble(value, p, nullable: true, out var shutdownTimeout))
                    {
                        result = result with { GracefulShutdownTimeoutS = shutdownTimeout };
                    }

                    break;
                case "graceful_shutdown_wait_loop_s":
                    if (ReadDouble(value, p, nullable: true, out var waitLoop))
                    {
                        result = result with { GracefulShutdownWaitLoopS = waitLoop };
                    }

                    break;
                case "health_check_period_s":
                    if (ReadDouble(value, p, nullable: true, out var period))
                    {
                        result = result with { HealthCheckPeriodS = period };
                    }

                    break;
                case "health_check_timeout_s":
                    if (ReadDouble(value, p, nullable: true, out var healthTimeout))
                    {
                        result = result with { HealthCheckTimeoutS = healthTimeout };
                    }

                    break;
            }
        }

        if (!hasName)
        {
            Error(ConfigPath.Key(path, "name"), map, "is required: the name of the deployment these options apply to.");
        }

        return result;
    }

    private Dictionary<string, string> ReadRuntimeEnv(YamlNode node, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!ExpectMapping(node, path, "runtime_env", out var map))
        {
            return result;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            Remember(p, value);
            if (ToJson(value, p) is { } json)
            {
                result[key] = json;
            }
        }

        return result;
    }

    private Dictionary<string, string> ReadArgs(YamlNode node, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!ExpectMapping(node, path, "args", out var map))
        {
            return result;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            Remember(p, value);
            if (value is not YamlScalarNode scalar)
            {
                Error(p, value, $"args values must be scalars (a string, number or boolean); nested mappings and lists are not supported; got {Describe(value)}.");
            }
            else if (IsNull(scalar))
            {
                Error(p, value, "args values must be scalars (a string, number or boolean); got null.");
            }
            else
            {
                result[key] = scalar.Value ?? "";
            }
        }

        return result;
    }

    private List<T> ReadList<T>(YamlNode node, string path, string what, Func<YamlNode, string, T?> readItem)
        where T : class
    {
        var result = new List<T>();
        Remember(path, node);
        if (IsNull(node))
        {
            return result;
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(path, node, $"must be {what}; got {Describe(node)}.");
            return result;
        }

        var i = 0;
        foreach (var item in sequence.Children)
        {
            var itemPath = ConfigPath.Index(path, i++);
            Remember(itemPath, item);
            // A null placeholder keeps later items at their own index; its error is already reported (the config is not returned).
            result.Add(readItem(item, itemPath)!);
        }

        return result;
    }

    private IEnumerable<(string Key, YamlNode Value, string Path)> Entries(
        YamlMappingNode map, string path, string context, string[] allowed, Dictionary<string, string> unsupported)
    {
        foreach (var (keyNode, value) in map.Children)
        {
            if (!ReadKey(keyNode, path, out var key))
            {
                continue;
            }

            var p = ConfigPath.Key(path, key);
            if (Array.IndexOf(allowed, key) < 0)
            {
                if (unsupported.TryGetValue(key, out var why))
                {
                    Error(p, keyNode, why);
                }
                else
                {
                    var suggestion = Suggestions.Closest(key, allowed);
                    var hint = suggestion is null ? "" : $" Did you mean \"{suggestion}\"?";
                    Error(p, keyNode, $"unknown key \"{key}\" in {context}.{hint} Allowed keys: {string.Join(", ", allowed)}.");
                }

                continue;
            }

            Remember(p, value);
            yield return (key, value, p);
        }
    }

    private bool ReadKey(YamlNode keyNode, string path, out string key)
    {
        if (keyNode is YamlScalarNode { Value: { } text } && !IsNull(keyNode))
        {
            key = text;
            return true;
        }

        Error(path, keyNode, $"mapping keys must be strings; got {Describe(keyNode)}.");
        key = "";
        return false;
    }

    private bool ExpectMapping(YamlNode node, string path, string what, out YamlMappingNode map, bool nullIsEmpty = true)
    {
        Remember(path, node);
        if (node is YamlMappingNode m)
        {
            map = m;
            return true;
        }

        map = null!;
        if (nullIsEmpty && IsNull(node))
        {
            return false;
        }

        Error(path, node, $"{what} must be a mapping (key: value lines); got {Describe(node)}.");
        return false;
    }

    private bool ReadString(YamlNode node, string path, bool nullable, out string? value)
    {
        value = null;
        if (IsNull(node))
        {
            if (nullable)
            {
                return true;
            }

            Error(path, node, "must be a string; got null.");
            return false;
        }

        if (node is YamlScalarNode scalar)
        {
            value = scalar.Value ?? "";
            return true;
        }

        Error(path, node, $"must be a string; got {Describe(node)}.");
        return false;
    }

    private bool ReadInt(YamlNode node, string path, bool nullable, out int? value)
    {
        var read = ReadLong(node, path, nullable, int.MinValue, int.MaxValue, out var wide);
        value = (int?)wide;
        return read;
    }

    private bool ReadLong(YamlNode node, string path, bool nullable, long minimum, long maximum, out long? value)
    {
        value = null;
        if (IsNull(node) && nullable)
        {
            return true;
        }

        if (node is YamlScalarNode scalar && !IsStringTyped(scalar) && YamlScalars.IsInteger(scalar.Value))
        {
            if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) && parsed >= minimum && parsed <= maximum)
            {
                value = parsed;
                return true;
            }

            Error(path, node, $"must be an integer from {minimum} to {maximum}; got {scalar.Value}.");
            return false;
        }

        Error(path, node, $"must be an integer; got {Describe(node)}.");
        return false;
    }

    private bool ReadDouble(YamlNode node, string path, bool nullable, out double? value)
    {
        value = null;
        if (IsNull(node) && nullable)
        {
            return true;
        }

        if (node is YamlScalarNode scalar && !IsStringTyped(scalar))
        {
            if (YamlScalars.IsInteger(scalar.Value) || YamlScalars.IsFloat(scalar.Value))
            {
                var parsed = double.Parse(scalar.Value!, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (double.IsFinite(parsed))
                {
                    value = parsed;
                    return true;
                }
            }

            if (YamlScalars.IsSpecialFloat(scalar.Value))
            {
                Error(path, node, $"must be a finite number of seconds; got {scalar.Value}.");
                return false;
            }
        }

        Error(path, node, $"must be a number (of seconds); got {Describe(node)}.");
        return false;
    }

    private bool ReadBool(YamlNode node, string path, out bool value)
    {
        value = false;
        if (node is YamlScalarNode scalar && !IsStringTyped(scalar) && YamlScalars.TryBool(scalar.Value, out value))
        {
            return true;
        }

        var hint = node is YamlScalarNode { Value: { } v } && YamlScalars.IsYaml11Bool(v)
            ? " (YAML 1.1 spellings such as yes/no/on/off are not booleans here)"
            : "";
        Error(path, node, $"must be true or false{hint}; got {Describe(node)}.");
        return false;
    }

    private bool ReadEnum<TEnum>(YamlNode node, string path, out TEnum value, string allowed)
        where TEnum : struct, Enum
    {
        value = default;
        if (node is YamlScalarNode { Value: { } text } && !IsNull(node)
            && !text.Any(c => char.IsDigit(c) || c == ',') && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value))
        {
            return true;
        }

        Error(path, node, $"must be {allowed}; got {Describe(node)}.");
        return false;
    }

    /// <summary>Converts any YAML value to JSON text with YAML 1.2 core-schema typing; null after reporting a problem.</summary>
    private string? ToJson(YamlNode node, string path)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (!WriteJson(writer, node, path, depth: 0))
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private bool WriteJson(Utf8JsonWriter writer, YamlNode node, string path, int depth)
    {
        if (depth > 64)
        {
            Error(path, node, "is nested too deeply (more than 64 levels).");
            return false;
        }

        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (keyNode, value) in map.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key } || IsNull(keyNode))
                    {
                        Error(path, keyNode, $"mapping keys must be strings to be kept as JSON; got {Describe(keyNode)}.");
                        return false;
                    }

                    writer.WritePropertyName(key);
                    if (!WriteJson(writer, value, ConfigPath.Key(path, key), depth + 1))
                    {
                        return false;
                    }
                }

                writer.WriteEndObject();
                return true;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                var i = 0;
                foreach (var item in sequence.Children)
                {
                    if (!WriteJson(writer, item, ConfigPath.Index(path, i++), depth + 1))
                    {
                        return false;
                    }
                }

                writer.WriteEndArray();
                return true;
            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                return true;
            default:
                Error(path, node, $"cannot be represented as JSON; got {Describe(node)}.");
                return false;
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (IsStringTyped(scalar))
        {
            writer.WriteStringValue(text);
        }
        else if (IsNull(scalar))
        {
            writer.WriteNullValue();
        }
        else if (YamlScalars.TryBool(text, out var b))
        {
            writer.WriteBooleanValue(b);
        }
        else if (YamlScalars.IsInteger(text))
        {
            writer.WriteRawValue(BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        }
        else if (YamlScalars.TryRadixInteger(text, out var radix))
        {
            writer.WriteNumberValue(radix);
        }
        else if (YamlScalars.IsFloat(text) && double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) is var d && double.IsFinite(d))
        {
            writer.WriteNumberValue(d);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    private static bool IsStringTyped(YamlScalarNode scalar) => YamlScalars.IsStringTyped(scalar);

    private static bool IsNull(YamlNode node) => YamlScalars.IsNull(node);

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "null",
        YamlScalarNode s when IsStringTyped(s) => $"the string \"{s.Value}\"",
        YamlScalarNode s => $"\"{s.Value}\"",
        _ => "an alias",
    };

    private void Remember(string path, YamlNode node)
        => _positions.TryAdd(path, ((int)node.Start.Line, (int)node.Start.Column));

    private void Error(string path, YamlNode node, string message)
        => Issues.AddAt(path, (int)node.Start.Line, (int)node.Start.Column, message);

    private (int Line, int Column)? Locate(string path)
    {
        for (var p = path; ; p = ConfigPath.Parent(p))
        {
            if (_positions.TryGetValue(p, out var position))
            {
                return position;
            }

            if (p.Length == 0)
            {
                return (1, 1);
            }
        }
    }
}
