namespace Serve.Config;

/// <summary>The HTTP proxy's options (<c>http_options</c>), with Ray Serve's defaults.</summary>
public sealed record HttpOptions
{
    /// <summary>The default <see cref="Host"/>: <c>127.0.0.1</c>.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>The default <see cref="Port"/>: 8000.</summary>
    public const int DefaultPort = 8000;

    /// <summary>The default <see cref="KeepAliveTimeoutS"/>: 90 seconds.</summary>
    public const double DefaultKeepAliveTimeoutS = 90;

    /// <summary>The address the HTTP proxy listens on (<c>host</c>; default <c>127.0.0.1</c>).</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>The HTTP port (<c>port</c>; default 8000; 0–65535, 0 lets the operating system choose).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>A path prefix in front of every route (<c>root_path</c>; default empty). Empty or starting with <c>/</c>, without a trailing <c>/</c>.</summary>
    public string RootPath { get; init; } = "";

    /// <summary>The end-to-end timeout of one HTTP request in seconds (<c>request_timeout_s</c>; default none = no timeout; &gt; 0 when set).</summary>
    public double? RequestTimeoutS { get; init; }

    /// <summary>How long an idle keep-alive connection stays open, in seconds (<c>keep_alive_timeout_s</c>; default 90; &gt; 0).</summary>
    public double KeepAliveTimeoutS { get; init; } = DefaultKeepAliveTimeoutS;

    /// <summary>The default <see cref="MaxRequestBodySize"/>: 30,000,000 bytes, Kestrel's default.</summary>
    public const int DefaultMaxRequestBodySize = 30_000_000;

    /// <summary>Largest HTTP request body accepted, in bytes (<c>max_request_body_size</c>; a Serve addition). Larger bodies get 413.</summary>
    public int MaxRequestBodySize { get; init; } = DefaultMaxRequestBodySize;

    /// <summary>
    /// The bytes of request bodies the HTTP proxy holds in memory at once, over all requests (<c>request_body_memory_limit</c>;
    /// a Serve addition; null, the default, means 4 × <see cref="MaxRequestBodySize"/>). At least
    /// <see cref="MaxRequestBodySize"/>. A body with a Content-Length waits for room; a chunked body that finds none gets 503.
    /// </summary>
    public long? RequestBodyMemoryLimit { get; init; }

    /// <summary>The request body memory limit in effect: <see cref="RequestBodyMemoryLimit"/>, or 4 × <see cref="MaxRequestBodySize"/>.</summary>
    public long EffectiveRequestBodyMemoryLimit => RequestBodyMemoryLimit ?? 4L * MaxRequestBodySize;

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(HttpOptions), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path)
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            issues.Add(ConfigPath.Key(path, "host"), "must be a non-empty host name or IP address.");
        }

        ConfigRules.Port(issues, ConfigPath.Key(path, "port"), Port);
        if (RootPath is null)
        {
            issues.Add(ConfigPath.Key(path, "root_path"), "must be a string (empty, or a path starting with \"/\"); got null.");
        }
        else if (RootPath.Length > 0 && (RootPath[0] != '/' || (RootPath.Length > 1 && RootPath[^1] == '/')))
        {
            issues.Add(ConfigPath.Key(path, "root_path"), $"must be empty or start with \"/\" and not end with \"/\"; got \"{RootPath}\".");
        }

        ConfigRules.PositiveOrNull(issues, ConfigPath.Key(path, "request_timeout_s"), RequestTimeoutS);
        ConfigRules.Positive(issues, ConfigPath.Key(path, "keep_alive_timeout_s"), KeepAliveTimeoutS);
        if (MaxRequestBodySize < 1)
        {
            issues.Add(ConfigPath.Key(path, "max_request_body_size"), $"must be an integer ≥ 1 (bytes); got {MaxRequestBodySize}.");
        }
        else if (RequestBodyMemoryLimit is { } memoryLimit && memoryLimit < MaxRequestBodySize)
        {
            issues.Add(ConfigPath.Key(path, "request_body_memory_limit"),
                $"must be at least max_request_body_size ({MaxRequestBodySize}), so that the largest body accepted fits; got {memoryLimit}.");
        }
    }
}
