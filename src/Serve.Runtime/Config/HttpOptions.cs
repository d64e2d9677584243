using Field = Serve.Config.ConfigFields<Serve.Config.HttpOptions>;

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

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    /// <summary>The keys of <c>http_options</c>: each one's reading, rules, writing, status JSON and change handling.</summary>
    internal static ConfigSection<HttpOptions> Schema { get; } = new(
        "http_options",
        static () => new HttpOptions(),
        [
            Field.Of("host", ConfigValues.String, static o => o.Host, static (o, v) => o with { Host = v },
                OnChange.Restart, InJson.Shown, writeAlways: true,
                validate: static (o, issues, p) =>
                {
                    if (string.IsNullOrWhiteSpace(o.Host))
                    {
                        issues.Add(p, "must be a non-empty host name or IP address.");
                    }
                }),
            Field.Of("port", ConfigValues.Int, static o => o.Port, static (o, v) => o with { Port = v },
                OnChange.Restart, InJson.Shown, writeAlways: true,
                validate: static (o, issues, p) => ConfigRules.Port(issues, p, o.Port)),
            Field.Of("root_path", ConfigValues.String, static o => o.RootPath, static (o, v) => o with { RootPath = v },
                OnChange.Restart, InJson.Shown,
                validate: static (o, issues, p) =>
                {
                    if (o.RootPath is null)
                    {
                        issues.Add(p, "must be a string (empty, or a path starting with \"/\"); got null.");
                    }
                    else if (o.RootPath.Length > 0 && (o.RootPath[0] != '/' || (o.RootPath.Length > 1 && o.RootPath[^1] == '/')))
                    {
                        issues.Add(p, $"must be empty or start with \"/\" and not end with \"/\"; got \"{o.RootPath}\".");
                    }
                }),
            Field.Of("request_timeout_s", ConfigValues.NullableSeconds, static o => o.RequestTimeoutS, static (o, v) => o with { RequestTimeoutS = v },
                OnChange.Restart, InJson.Shown,
                validate: static (o, issues, p) => ConfigRules.PositiveOrNull(issues, p, o.RequestTimeoutS)),
            Field.Of("keep_alive_timeout_s", ConfigValues.Seconds, static o => o.KeepAliveTimeoutS, static (o, v) => o with { KeepAliveTimeoutS = v },
                OnChange.Restart, InJson.Shown,
                validate: static (o, issues, p) => ConfigRules.Positive(issues, p, o.KeepAliveTimeoutS)),
            Field.Of("max_request_body_size", ConfigValues.Int, static o => o.MaxRequestBodySize, static (o, v) => o with { MaxRequestBodySize = v },
                OnChange.Restart, InJson.Hidden(ServeAddition),
                validate: static (o, issues, p) =>
                {
                    if (o.MaxRequestBodySize < 1)
                    {
                        issues.Add(p, $"must be an integer ≥ 1 (bytes); got {o.MaxRequestBodySize}.");
                    }
                }),
            Field.Of("request_body_memory_limit", ConfigValues.NullableLong, static o => o.RequestBodyMemoryLimit, static (o, v) => o with { RequestBodyMemoryLimit = v },
                OnChange.Restart, InJson.Hidden(ServeAddition),
                validate: static (o, issues, p) =>
                {
                    // Compared only with a valid body size, whose own error says what is wrong.
                    if (o.MaxRequestBodySize >= 1 && o.RequestBodyMemoryLimit is { } memoryLimit && memoryLimit < o.MaxRequestBodySize)
                    {
                        issues.Add(p, $"must be at least max_request_body_size ({o.MaxRequestBodySize}), so that the largest body accepted fits; got {memoryLimit}.");
                    }
                }),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ssl_keyfile"] = Unsupported.NotYet + " (TLS).",
            ["ssl_certfile"] = Unsupported.NotYet + " (TLS).",
            ["ssl_keyfile_password"] = Unsupported.NotYet + " (TLS).",
            ["ssl_ca_certs"] = Unsupported.NotYet + " (TLS).",
            ["location"] = "is deprecated in Ray; use the top-level proxy_location.",
            ["middlewares"] = Unsupported.NotYet + ".",
            ["num_cpus"] = Unsupported.NotYet + ".",
        });

    private const string ServeAddition = "a Serve addition that Ray's http_options in the status does not have";
}
