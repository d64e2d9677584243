using System.Globalization;
using System.Text.Json;

namespace Serve.Config;

/// <summary>Collects config errors by key path; the loader supplies a locator that turns paths into YAML positions.</summary>
internal sealed class ConfigIssues(string sourceName, Func<string, (int Line, int Column)?>? locate = null)
{
    private readonly List<ServeConfigError> _errors = [];
    private readonly HashSet<string> _suppressed = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    public static void Run(string sourceName, Action<ConfigIssues> validate)
    {
        var issues = new ConfigIssues(sourceName);
        validate(issues);
        issues.ThrowIfAny();
    }

    /// <summary>Reports a problem at <paramref name="path"/>, unless a problem was already reported at it or above it.</summary>
    public void Add(string path, string message)
    {
        if (IsSuppressed(path))
        {
            return;
        }

        var position = locate?.Invoke(path);
        _errors.Add(new ServeConfigError(sourceName, position?.Line, position?.Column, path, message));
    }

    /// <summary>Reports a problem at an explicit position and stops later problems at or under the path from being reported.</summary>
    public void AddAt(string path, int line, int column, string message)
    {
        if (IsSuppressed(path))
        {
            return;
        }

        _errors.Add(new ServeConfigError(sourceName, line, column, path, message));
        _suppressed.Add(path);
    }

    public void ThrowIfAny(Exception? inner = null)
    {
        if (_errors.Count > 0)
        {
            var ordered = _errors
                .Select((e, i) => (e, i))
                .OrderBy(x => x.e.Line ?? int.MaxValue)
                .ThenBy(x => x.e.Column ?? int.MaxValue)
                .ThenBy(x => x.i)
                .Select(x => x.e)
                .ToList();
            throw new ServeConfigException(ordered, inner);
        }
    }

    private bool IsSuppressed(string path)
    {
        for (var p = path; ; p = ConfigPath.Parent(p))
        {
            if (_suppressed.Contains(p))
            {
                return true;
            }

            if (p.Length == 0)
            {
                return false;
            }
        }
    }
}

/// <summary>Key paths such as <c>applications[0].deployments[1].num_replicas</c>.</summary>
internal static class ConfigPath
{
    public static string Key(string path, string key) => path.Length == 0 ? key : path + "." + key;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>The path's last key: <c>runtime_env</c> of <c>applications[0].runtime_env</c>.</summary>
    public static string Last(string path) => path[(path.LastIndexOf('.') + 1)..];

    public static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}

/// <summary>Validation rules shared by the model's <c>Validate()</c> methods (and therefore the loader).</summary>
internal static class ConfigRules
{
    public static string Quote(string? text) => text is null ? "null" : "\"" + text + "\"";

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static void Port(ConfigIssues issues, string path, int port)
    {
        if (port is < 0 or > 65535)
        {
            issues.Add(path, $"must be a port number from 0 to 65535 (0 lets the operating system choose); got {port}.");
        }
    }

    public static void AtLeast(ConfigIssues issues, string path, int value, int minimum, string? unit)
    {
        if (value < minimum)
        {
            issues.Add(path, $"must be an integer ≥ {minimum}{(unit is null ? "" : " (" + unit + ")")}; got {value}.");
        }
    }

    public static void Between(ConfigIssues issues, string path, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            issues.Add(path, string.Create(CultureInfo.InvariantCulture, $"must be an integer from {minimum} to {maximum:N0}; got {value}."));
        }
    }

    public static void Positive(ConfigIssues issues, string path, double value)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            issues.Add(path, $"must be a number of seconds > 0; got {Number(value)}.");
        }
    }

    public static void PositiveOrNull(ConfigIssues issues, string path, double? value)
    {
        if (value is { } v)
        {
            Positive(issues, path, v);
        }
    }

    public static void NonNegativeOrNull(ConfigIssues issues, string path, double? value)
    {
        if (value is { } v && (!double.IsFinite(v) || v < 0))
        {
            issues.Add(path, $"must be a number of seconds ≥ 0; got {Number(v)}.");
        }
    }

    public static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Ray's route_prefix rules; null means "not exposed over HTTP" and is valid.</summary>
    public static string? RoutePrefixError(string? routePrefix)
    {
        if (routePrefix is null)
        {
            return null;
        }

        if (!routePrefix.StartsWith('/'))
        {
            return $"must start with \"/\" (or be ~ for an application not exposed over HTTP); got {Quote(routePrefix)}.";
        }

        if (routePrefix.Length > 1 && routePrefix.EndsWith('/'))
        {
            return $"must not end with \"/\" unless it is \"/\"; got {Quote(routePrefix)}.";
        }

        if (routePrefix.Contains('{', StringComparison.Ordinal) || routePrefix.Contains('}', StringComparison.Ordinal))
        {
            return $"must not contain wildcards (\"{{\" or \"}}\"); got {Quote(routePrefix)}.";
        }

        if (routePrefix.Any(char.IsWhiteSpace))
        {
            return $"must not contain whitespace; got {Quote(routePrefix)}.";
        }

        return null;
    }

    /// <summary>Ray's import_path rules.</summary>
    public static string? ImportPathError(string? importPath)
    {
        const string Allowed = "an import path is \"Namespace.Type:Member\" or \"Namespace.Member\", as in \"GrpcQuickstart.Applications:App1\"";
        if (string.IsNullOrWhiteSpace(importPath))
        {
            return $"is required and must not be empty: {Allowed}.";
        }

        if (importPath.Any(char.IsWhiteSpace))
        {
            return $"must not contain whitespace; got {Quote(importPath)}; {Allowed}.";
        }

        var colons = importPath.Count(c => c == ':');
        if (colons > 1)
        {
            return $"may have at most one colon; got {Quote(importPath)}; {Allowed}.";
        }

        if (colons == 1)
        {
            return importPath[0] == ':' || importPath[^1] == ':'
                ? $"may not start or end with a colon; got {Quote(importPath)}; {Allowed}."
                : null;
        }

        if (!importPath.Contains('.', StringComparison.Ordinal))
        {
            return $"must contain a dot or a colon separating the module from the application; got {Quote(importPath)}; {Allowed}.";
        }

        return importPath[0] == '.' || importPath[^1] == '.'
            ? $"may not start or end with a dot; got {Quote(importPath)}; {Allowed}."
            : null;
    }
}
