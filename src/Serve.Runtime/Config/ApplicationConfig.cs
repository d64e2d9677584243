using Field = Serve.Config.ConfigFields<Serve.Config.ApplicationConfig>;

namespace Serve.Config;

/// <summary>One application to run (<c>applications[]</c>).</summary>
public sealed record ApplicationConfig
{
    /// <summary>The default <see cref="Name"/>: <c>default</c>.</summary>
    public const string DefaultName = "default";

    /// <summary>The default <see cref="RoutePrefix"/>: <c>/</c>.</summary>
    public const string DefaultRoutePrefix = "/";

    /// <summary>The application's name (<c>name</c>; default <c>default</c>; unique in the config).</summary>
    public string Name { get; init; } = DefaultName;

    /// <summary>
    /// The HTTP route prefix (<c>route_prefix</c>; default <c>/</c>; unique in the config). It starts with <c>/</c>,
    /// does not end with <c>/</c> unless it is <c>/</c>, and has no <c>{</c> or <c>}</c>. Null (YAML <c>~</c> or
    /// <c>null</c>) means the application is not exposed over HTTP.
    /// </summary>
    public string? RoutePrefix { get; init; } = DefaultRoutePrefix;

    /// <summary>
    /// Where the application is built (<c>import_path</c>; required), e.g. <c>GrpcQuickstart.Applications:App1</c>.
    /// Ray's rules apply: at most one <c>:</c>, not first or last; without a <c>:</c>, at least one <c>.</c>, not
    /// first or last.
    /// </summary>
    public required string ImportPath { get; init; }

    /// <summary>
    /// Ray's <c>runtime_env</c>, accepted and kept but not interpreted (there is no Python environment to build).
    /// Each top-level key maps to its value as JSON text (a YAML string <c>x</c> becomes <c>"x"</c>, a mapping an
    /// object), converted as described for <see cref="DeploymentConfig.UserConfig"/>. Default empty.
    /// </summary>
    public IReadOnlyDictionary<string, string> RuntimeEnv { get; init; } = EmptyDictionary;

    /// <summary>
    /// Arguments for the application builder (<c>args</c>): a mapping of scalar values, kept as the text written in
    /// the YAML (<c>n: 2</c> gives <c>"2"</c>). Nested mappings or lists and null values are errors. Default empty.
    /// </summary>
    public IReadOnlyDictionary<string, string> Args { get; init; } = EmptyDictionary;

    /// <summary>Options overriding the code's options of named deployments (<c>deployments</c>; default empty).</summary>
    public IReadOnlyList<DeploymentConfig> Deployments { get; init; } = [];

    internal static IReadOnlyDictionary<string, string> EmptyDictionary { get; } = new Dictionary<string, string>();

    /// <summary>Returns the options for the deployment named <paramref name="deploymentName"/>, or null if the config sets none.</summary>
    /// <param name="deploymentName">The deployment's name (compared ordinally).</param>
    /// <returns>The deployment's config entry, or null.</returns>
    public DeploymentConfig? FindDeployment(string deploymentName)
    {
        foreach (var deployment in Deployments)
        {
            if (deployment is not null && string.Equals(deployment.Name, deploymentName, StringComparison.Ordinal))
            {
                return deployment;
            }
        }

        return null;
    }

    /// <summary>Checks this application; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(ApplicationConfig), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    private const string NotInStatus = "as in Ray, the application's status shows it only inside deployed_app_config, which echoes the whole entry";

    /// <summary>The keys of an application (<c>applications[]</c>): each one's reading, rules, writing, status JSON and change handling.</summary>
    internal static ConfigSection<ApplicationConfig> Schema { get; } = new(
        "an application",
        static () => new ApplicationConfig { ImportPath = "" },
        [
            Field.Of("name", ConfigValues.String, static a => a.Name, static (a, v) => a with { Name = v },
                OnChange.Identity, InJson.Shown, writeAlways: true,
                validate: static (a, issues, p) =>
                {
                    if (string.IsNullOrWhiteSpace(a.Name))
                    {
                        issues.Add(p, "must be a non-empty application name.");
                    }
                }),
            Field.Of("route_prefix", ConfigValues.NullableString, static a => a.RoutePrefix, static (a, v) => a with { RoutePrefix = v },
                OnChange.InPlace("the controller moves the running application to the new prefix"), InJson.Shown, writeAlways: true,
                validate: static (a, issues, p) =>
                {
                    if (ConfigRules.RoutePrefixError(a.RoutePrefix) is { } routeError)
                    {
                        issues.Add(p, routeError);
                    }
                }),
            Field.Of("import_path", ConfigValues.String, static a => a.ImportPath, static (a, v) => a with { ImportPath = v },
                OnChange.Redeploy, InJson.Hidden(NotInStatus), writeAlways: true,
                required: "is required: every application needs an import_path, e.g. \"GrpcQuickstart.Applications:App1\".",
                validate: static (a, issues, p) =>
                {
                    if (ConfigRules.ImportPathError(a.ImportPath) is { } importError)
                    {
                        issues.Add(p, importError);
                    }
                }),
            Field.Of("runtime_env", ConfigValues.JsonMap, static a => a.RuntimeEnv, static (a, v) => a with { RuntimeEnv = v },
                OnChange.Redeploy, InJson.Hidden(NotInStatus), writeAlways: true,
                validate: static (a, issues, p) => ValidateDictionary(issues, p, a.RuntimeEnv)),
            Field.Of("args", ConfigValues.ScalarMap, static a => a.Args, static (a, v) => a with { Args = v },
                OnChange.Redeploy, InJson.Hidden(NotInStatus),
                validate: static (a, issues, p) => ValidateDictionary(issues, p, a.Args)),
            Field.List("deployments", DeploymentConfig.Schema, "a list of deployment options", static a => a.Deployments, static (a, v) => a with { Deployments = v },
                OnChange.Nested("the controller pairs each entry with the running deployment of its name"),
                InJson.FromState("the status lists the running deployments with the options they run with"),
                ValidateDeployments),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = "is deprecated in Ray; set http_options.host.",
            ["port"] = "is deprecated in Ray; set http_options.port.",
            ["logging_config"] = Unsupported.NotYet + " per application; set the top-level logging_config.",
            ["external_scaler_enabled"] = Unsupported.NotYet + ".",
        });

    private static void ValidateDeployments(ApplicationConfig app, ConfigIssues issues, string deploymentsPath)
    {
        var deployments = app.Deployments;
        if (deployments is null)
        {
            issues.Add(deploymentsPath, "must be a list of deployment options; got null.");
            return;
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < deployments.Count; i++)
        {
            var itemPath = ConfigPath.Index(deploymentsPath, i);
            var deployment = deployments[i];
            if (deployment is null)
            {
                issues.Add(itemPath, "must be a deployment's options; got null.");
                continue;
            }

            deployment.Validate(issues, itemPath);
            if (string.IsNullOrWhiteSpace(deployment.Name))
            {
                continue;
            }

            if (seen.TryGetValue(deployment.Name, out var first))
            {
                issues.Add(
                    ConfigPath.Key(itemPath, "name"),
                    $"duplicate deployment name \"{deployment.Name}\": {ConfigPath.Index(deploymentsPath, first)} already configures it; each deployment may appear once per application.");
            }
            else
            {
                seen[deployment.Name] = i;
            }
        }
    }

    private static void ValidateDictionary(ConfigIssues issues, string path, IReadOnlyDictionary<string, string> values)
    {
        if (values is null)
        {
            issues.Add(path, "must be a mapping; got null.");
            return;
        }

        foreach (var (key, value) in values)
        {
            if (string.IsNullOrEmpty(key))
            {
                issues.Add(path, "keys must be non-empty strings.");
            }
            else if (value is null)
            {
                issues.Add(ConfigPath.Key(path, key), "must be a value; got null.");
            }
        }
    }
}
