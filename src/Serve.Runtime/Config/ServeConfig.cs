using System.Globalization;
using Field = Serve.Config.ConfigFields<Serve.Config.ServeConfig>;

namespace Serve.Config;

/// <summary>
/// A whole Serve config file: the keys and layout of Ray Serve's config (<c>serve run config.yaml</c>), with Ray's
/// defaults for everything left out. Load one with <see cref="ServeConfigLoader"/> or build one in code and call
/// <see cref="Validate()"/>.
/// </summary>
/// <remarks>Records compare lists and dictionaries by reference, not by content.</remarks>
public sealed record ServeConfig
{
    /// <summary>The most applications one config may hold (a Serve limit; Ray has none): 1,000.</summary>
    public const int MaxApplications = 1_000;

    /// <summary>The most replicas one config may run, over all its applications' deployments (a Serve limit): 10,000.</summary>
    public const int MaxReplicas = 10_000;

    /// <summary>Where proxies run (<c>proxy_location</c>; default <see cref="ProxyLocation.EveryNode"/>).</summary>
    public ProxyLocation ProxyLocation { get; init; } = ProxyLocation.EveryNode;

    /// <summary>The HTTP proxy's options (<c>http_options</c>).</summary>
    public HttpOptions HttpOptions { get; init; } = new();

    /// <summary>The gRPC proxy's options (<c>grpc_options</c>).</summary>
    public GrpcOptions GrpcOptions { get; init; } = new();

    /// <summary>Logging options (<c>logging_config</c>).</summary>
    public LoggingConfig LoggingConfig { get; init; } = new();

    /// <summary>
    /// Scales every deployment's replicas, in percent (<c>target_capacity</c>; 0 to 100, default none = 100): a fixed
    /// <c>num_replicas</c> and an autoscaled deployment's bounds alike, rounded half up and at least 1 unless it is 0.
    /// Changed with each apply; Ray uses it to move traffic between clusters.
    /// </summary>
    public double? TargetCapacity { get; init; }

    /// <summary>The applications to run (<c>applications</c>; default none). Names and route prefixes are unique.</summary>
    public IReadOnlyList<ApplicationConfig> Applications { get; init; } = [];

    /// <summary>Returns the application named <paramref name="name"/>, or null.</summary>
    /// <param name="name">The application's name (compared ordinally).</param>
    /// <returns>The application, or null.</returns>
    public ApplicationConfig? FindApplication(string name)
    {
        foreach (var app in Applications)
        {
            if (app is not null && string.Equals(app.Name, name, StringComparison.Ordinal))
            {
                return app;
            }
        }

        return null;
    }

    /// <summary>
    /// Checks the whole config with the same rules the loader applies; throws <see cref="ServeConfigException"/>
    /// listing every problem by key path (e.g. <c>applications[0].deployments[1].num_replicas</c>).
    /// </summary>
    public void Validate() => ConfigIssues.Run(nameof(ServeConfig), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    /// <summary>The top-level keys: each one's reading, rules, writing, status JSON and change handling.</summary>
    internal static ConfigSection<ServeConfig> Schema { get; } = new(
        "the config's top level",
        static () => new ServeConfig(),
        [
            Field.Of("proxy_location", ConfigValues.Enum<ProxyLocation>("EveryNode, HeadOnly or Disabled", static v => v.ToString()),
                static c => c.ProxyLocation, static (c, v) => c with { ProxyLocation = v },
                OnChange.Restart, InJson.Shown, writeAlways: true,
                validate: static (c, issues, p) =>
                {
                    if (!Enum.IsDefined(c.ProxyLocation))
                    {
                        issues.Add(p, $"must be EveryNode, HeadOnly or Disabled; got {(int)c.ProxyLocation}.");
                    }
                }),
            Field.Section("http_options", HttpOptions.Schema, static c => c.HttpOptions, static (c, v) => c with { HttpOptions = v }, InJson.Shown),
            Field.Section("grpc_options", GrpcOptions.Schema, static c => c.GrpcOptions, static (c, v) => c with { GrpcOptions = v }, InJson.Shown),
            Field.Section("logging_config", LoggingConfig.Schema, static c => c.LoggingConfig, static (c, v) => c with { LoggingConfig = v },
                InJson.Hidden("Ray's instance status has no logging_config")),
            Field.Of("target_capacity", ConfigValues.NullableNumber, static c => c.TargetCapacity, static (c, v) => c with { TargetCapacity = v },
                OnChange.InPlace("every deployment's replica count (or autoscaling bounds) is scaled again"), InJson.Shown,
                validate: static (c, issues, p) =>
                {
                    if (c.TargetCapacity is { } capacity && (!double.IsFinite(capacity) || capacity < 0 || capacity > 100))
                    {
                        issues.Add(p, $"must be a number from 0 to 100 (percent); got {capacity.ToString(CultureInfo.InvariantCulture)}.");
                    }
                }),
            Field.List("applications", ApplicationConfig.Schema, "a list of applications", static c => c.Applications, static (c, v) => c with { Applications = v },
                OnChange.Nested("the controller pairs running and requested applications by name"),
                InJson.FromState("the status lists the running applications by name"),
                ValidateApplications, writeAlways: true),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["import_path"] = "belongs to an application: Serve reads Ray's multi-application layout, so write it under applications[] (with name and route_prefix).",
        },
        rules:
        [
            new("logging_config", static (c, issues, path) =>
            {
                if (c.HttpOptions is not null && c.GrpcOptions is not null && c.GrpcOptions.IsEnabled
                    && c.ProxyLocation != ProxyLocation.Disabled && c.GrpcOptions.Port != 0 && c.GrpcOptions.Port == c.HttpOptions.Port)
                {
                    issues.Add(ConfigPath.Key(ConfigPath.Key(path, "grpc_options"), "port"), $"must differ from http_options.port ({c.HttpOptions.Port}): both proxies listen at once.");
                }
            }),
        ]);

    private static void ValidateApplications(ServeConfig config, ConfigIssues issues, string appsPath)
    {
        var applications = config.Applications;
        if (applications is null)
        {
            issues.Add(appsPath, "must be a list of applications; got null.");
            return;
        }

        if (applications.Count > MaxApplications)
        {
            issues.Add(appsPath, string.Create(CultureInfo.InvariantCulture,
                $"holds {applications.Count:N0} applications; a config may hold at most {MaxApplications:N0}."));
            return;
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var routes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < applications.Count; i++)
        {
            var itemPath = ConfigPath.Index(appsPath, i);
            var app = applications[i];
            if (app is null)
            {
                issues.Add(itemPath, "must be an application; got null.");
                continue;
            }

            app.Validate(issues, itemPath);
            if (app.Name is not null)
            {
                if (names.TryGetValue(app.Name, out var first))
                {
                    issues.Add(
                        ConfigPath.Key(itemPath, "name"),
                        $"duplicate application name \"{app.Name}\": {ConfigPath.Index(appsPath, first)} has it too; application names must be unique.");
                }
                else
                {
                    names[app.Name] = i;
                }
            }

            if (app.RoutePrefix is not null)
            {
                if (routes.TryGetValue(app.RoutePrefix, out var first))
                {
                    issues.Add(
                        ConfigPath.Key(itemPath, "route_prefix"),
                        $"duplicate route_prefix \"{app.RoutePrefix}\": {ConfigPath.Index(appsPath, first)} (\"{applications[first].Name}\") uses it too; route prefixes must be unique (use ~ for an application not exposed over HTTP).");
                }
                else
                {
                    routes[app.RoutePrefix] = i;
                }
            }
        }
    }
}
