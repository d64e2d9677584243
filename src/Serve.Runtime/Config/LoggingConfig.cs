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

    /// <summary>The directory log files are written to (<c>logs_dir</c>; default none = the runtime's default location).</summary>
    public string? LogsDir { get; init; }

    /// <summary>The log line format (<c>encoding</c>: <c>TEXT</c>, the default, or <c>JSON</c>).</summary>
    public LogEncoding Encoding { get; init; } = LogEncoding.Text;

    /// <summary>Whether each request is logged (<c>enable_access_log</c>; default true).</summary>
    public bool EnableAccessLog { get; init; } = true;

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(LoggingConfig), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path)
    {
        if (NormalizeLogLevel(LogLevel) is null)
        {
            issues.Add(ConfigPath.Key(path, "log_level"), $"must be one of {string.Join(", ", LogLevels)}; got {ConfigRules.Quote(LogLevel)}.");
        }

        if (LogsDir is not null && string.IsNullOrWhiteSpace(LogsDir))
        {
            issues.Add(ConfigPath.Key(path, "logs_dir"), "must be a directory path or left out; got an empty string.");
        }

        if (!Enum.IsDefined(Encoding))
        {
            issues.Add(ConfigPath.Key(path, "encoding"), $"must be TEXT or JSON; got {(int)Encoding}.");
        }
    }

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
