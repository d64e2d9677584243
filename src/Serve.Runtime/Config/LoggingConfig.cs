using YamlDotNet.RepresentationModel;
using Field = Serve.Config.ConfigFields<Serve.Config.LoggingConfig>;

namespace Serve.Config;

/// <summary>Serve's logging options (<c>logging_config</c>), with Ray Serve's defaults.</summary>
public sealed record LoggingConfig
{
    /// <summary>The log levels accepted by <see cref="LogLevel"/>, as Ray (Python's logging) names them.</summary>
    public static IReadOnlyList<string> LogLevels { get; } = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

    /// <summary>
    /// The minimum level logged (<c>log_level</c>): <c>DEBUG</c>, <c>INFO</c> (the default), <c>WARNING</c>,
    /// <c>ERROR</c> or <c>CRITICAL</c>. Accepted case-insensitively; the loader stores it upper-case.
    /// </summary>
    public string LogLevel { get; init; } = "INFO";

    /// <summary>
    /// A directory Serve also writes its log to (<c>logs_dir</c>; default none: the console only): one file per process,
    /// <c>serve_&lt;pid&gt;.log</c>, rotated at 512 MiB with five old files kept; each line names its application, deployment,
    /// replica and request id. Created when missing.
    /// </summary>
    public string? LogsDir { get; init; }

    /// <summary>
    /// The log line format (<c>encoding</c>: <c>TEXT</c>, the default, or <c>JSON</c>): with JSON, the console and the
    /// <see cref="LogsDir"/> file get one JSON object per line with Ray's field names (<c>asctime</c>, <c>levelname</c>,
    /// <c>message</c>, <c>application</c>, <c>deployment</c>, <c>replica</c>, <c>request_id</c>, …).
    /// </summary>
    public LogEncoding Encoding { get; init; } = LogEncoding.Text;

    /// <summary>Whether each request is logged (<c>enable_access_log</c>; default true).</summary>
    public bool EnableAccessLog { get; init; } = true;

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(LoggingConfig), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    /// <summary>A log level: read case-insensitively and stored as Ray spells it (upper-case).</summary>
    private static ConfigValue<string> LogLevelValue { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out string v) =>
        {
            var read = r.ReadString(n, p, nullable: false, out var level);
            v = NormalizeLogLevel(level) ?? level ?? "";
            return read;
        },
        Write = ConfigValues.String.Write,
        WriteJson = ConfigValues.String.WriteJson,
    };

    private const string NotInStatus = "Ray's instance status has no logging_config";

    /// <summary>The keys of <c>logging_config</c>: each one's reading, rules, writing, status JSON and change handling.</summary>
    internal static ConfigSection<LoggingConfig> Schema { get; } = new(
        "logging_config",
        static () => new LoggingConfig(),
        [
            Field.Of("log_level", LogLevelValue, static o => o.LogLevel, static (o, v) => o with { LogLevel = v },
                OnChange.Restart, InJson.Hidden(NotInStatus), writeAlways: true,
                validate: static (o, issues, p) =>
                {
                    if (NormalizeLogLevel(o.LogLevel) is null)
                    {
                        issues.Add(p, $"must be one of {string.Join(", ", LogLevels)}; got {ConfigRules.Quote(o.LogLevel)}.");
                    }
                }),
            Field.Of("logs_dir", ConfigValues.NullableString, static o => o.LogsDir, static (o, v) => o with { LogsDir = v },
                OnChange.Restart, InJson.Hidden(NotInStatus), writeAlways: true,
                validate: static (o, issues, p) =>
                {
                    if (o.LogsDir is not null && string.IsNullOrWhiteSpace(o.LogsDir))
                    {
                        issues.Add(p, "must be a directory path or left out; got an empty string.");
                    }
                }),
            Field.Of("encoding", ConfigValues.Enum<LogEncoding>("TEXT or JSON", static v => v.ToString().ToUpperInvariant()),
                static o => o.Encoding, static (o, v) => o with { Encoding = v },
                OnChange.Restart, InJson.Hidden(NotInStatus), writeAlways: true,
                validate: static (o, issues, p) =>
                {
                    if (!Enum.IsDefined(o.Encoding))
                    {
                        issues.Add(p, $"must be TEXT or JSON; got {(int)o.Encoding}.");
                    }
                }),
            Field.Of("enable_access_log", ConfigValues.Bool, static o => o.EnableAccessLog, static (o, v) => o with { EnableAccessLog = v },
                OnChange.Restart, InJson.Hidden(NotInStatus), writeAlways: true),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["additional_log_standard_attrs"] = Unsupported.NotYet + ".",
        });

    internal static string? NormalizeLogLevel(string? level)
    {
        if (level is null)
        {
            return null;
        }

        foreach (var known in LogLevels)
        {
            if (string.Equals(known, level, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }
}
