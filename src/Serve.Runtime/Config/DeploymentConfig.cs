using YamlDotNet.RepresentationModel;
using Field = Serve.Config.ConfigFields<Serve.Config.DeploymentConfig>;

namespace Serve.Config;

/// <summary>
/// One deployment's options in an application (<c>applications[].deployments[]</c>). Every option is nullable:
/// null means "not set in the config", so the runtime can apply Ray's precedence (config &gt; code &gt; defaults);
/// the defaults are the <c>Default…</c> constants on this type.
/// </summary>
public sealed record DeploymentConfig
{
    /// <summary>Ray Serve's default <c>num_replicas</c>: 1.</summary>
    public const int DefaultNumReplicas = 1;

    /// <summary>Ray Serve's default <c>max_ongoing_requests</c>: 5.</summary>
    public const int DefaultMaxOngoingRequests = 5;

    /// <summary>Ray Serve's default <c>max_queued_requests</c>: -1 (unbounded).</summary>
    public const int DefaultMaxQueuedRequests = -1;

    /// <summary>Ray Serve's default <c>graceful_shutdown_wait_loop_s</c>: 2 seconds.</summary>
    public const double DefaultGracefulShutdownWaitLoopS = 2;

    /// <summary>Ray Serve's default <c>graceful_shutdown_timeout_s</c>: 20 seconds.</summary>
    public const double DefaultGracefulShutdownTimeoutS = 20;

    /// <summary>Ray Serve's default <c>health_check_period_s</c>: 10 seconds.</summary>
    public const double DefaultHealthCheckPeriodS = 10;

    /// <summary>Ray Serve's default <c>health_check_timeout_s</c>: 30 seconds.</summary>
    public const double DefaultHealthCheckTimeoutS = 30;

    /// <summary>Ray Serve's default <c>max_constructor_retry_count</c>: 20.</summary>
    public const int DefaultMaxConstructorRetryCount = 20;

    /// <summary>The name of the deployment these options apply to (<c>name</c>; required, unique in its application).</summary>
    public required string Name { get; init; }

    /// <summary>
    /// How many replicas to run (<c>num_replicas</c>; 1 to <see cref="ServeConfig.MaxReplicas"/>). Null when not set, or
    /// when <see cref="NumReplicasAuto"/> says <c>auto</c>.
    /// </summary>
    public int? NumReplicas { get; init; }

    /// <summary>
    /// True for <c>num_replicas: auto</c>: autoscaling with Ray's defaults for it (min 1, max 100, target 2 ongoing requests
    /// per replica), under any <see cref="AutoscalingConfig"/> keys set.
    /// </summary>
    public bool NumReplicasAuto { get; init; }

    /// <summary>The deployment's autoscaling options (<c>autoscaling_config</c>); null when not set. Excludes a fixed <see cref="NumReplicas"/>.</summary>
    public AutoscalingConfig? AutoscalingConfig { get; init; }

    /// <summary>How many requests one replica runs at once (<c>max_ongoing_requests</c>; ≥ 1).</summary>
    public int? MaxOngoingRequests { get; init; }

    /// <summary>How many requests may wait for a replica (<c>max_queued_requests</c>; -1 = unbounded, or ≥ 1).</summary>
    public int? MaxQueuedRequests { get; init; }

    /// <summary>
    /// The value passed to the deployment's reconfigure hook (<c>user_config</c>), as JSON text. The loader
    /// converts any YAML value to JSON with YAML 1.2 core-schema typing (plain <c>1</c> is a number, <c>true</c> a
    /// boolean, <c>~</c> null, quoted text a string; <c>.inf</c>/<c>.nan</c> become strings since JSON has no such
    /// numbers). Parse it with <c>System.Text.Json.JsonDocument</c>. Null = not set. Must be valid JSON when set.
    /// </summary>
    public string? UserConfig { get; init; }

    /// <summary>Seconds to wait for a stopping replica's requests before it is killed (<c>graceful_shutdown_timeout_s</c>; ≥ 0).</summary>
    public double? GracefulShutdownTimeoutS { get; init; }

    /// <summary>Seconds between checks for a stopping replica's remaining requests (<c>graceful_shutdown_wait_loop_s</c>; &gt; 0).</summary>
    public double? GracefulShutdownWaitLoopS { get; init; }

    /// <summary>Seconds between replica health checks (<c>health_check_period_s</c>; &gt; 0).</summary>
    public double? HealthCheckPeriodS { get; init; }

    /// <summary>Seconds a health check may take before it counts as failed (<c>health_check_timeout_s</c>; &gt; 0).</summary>
    public double? HealthCheckTimeoutS { get; init; }

    /// <summary>
    /// How many times replicas may fail to start (constructor, user_config or first health check) before the deployment
    /// is DEPLOY_FAILED (<c>max_constructor_retry_count</c>; ≥ 1). As in Ray, a deployment of N replicas fails after at
    /// most 3·N failures, and never once one of its replicas started.
    /// </summary>
    public int? MaxConstructorRetryCount { get; init; }

    /// <summary>The options shared with code-level <see cref="DeploymentOptions"/> (name, replicas, request limits, user_config), unset ones left null.</summary>
    /// <returns>Options to merge over the code's options with <see cref="DeploymentOptions.Merge"/>.</returns>
    public DeploymentOptions ToDeploymentOptions() => new()
    {
        Name = Name,
        NumReplicas = NumReplicas,
        MaxOngoingRequests = MaxOngoingRequests,
        MaxQueuedRequests = MaxQueuedRequests,
        UserConfig = UserConfig,
    };

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(DeploymentConfig), issues => Validate(issues, ""));

    internal void Validate(ConfigIssues issues, string path) => Schema.Validate(this, issues, path);

    // How the num_replicas key carries "auto" through its one value: never a real count.
    private const int Auto = int.MinValue;

    /// <summary>A replica count, or Ray's <c>"auto"</c> (autoscaling).</summary>
    private static ConfigValue<int?> NumReplicasValue { get; } = new()
    {
        Read = static (YamlConfigReader r, YamlNode n, string p, out int? v) =>
        {
            if (n is YamlScalarNode { Value: { } text } && string.Equals(text, "auto", StringComparison.OrdinalIgnoreCase))
            {
                v = Auto;
                return true;
            }

            return r.ReadInt(n, p, nullable: true, out v);
        },
        Write = static v => v == Auto ? ServeConfigWriter.Plain("auto") : ConfigValues.NullableInt.Write(v),
        WriteJson = static (w, k, v) =>
        {
            if (v == Auto)
            {
                w.WriteString(k, "auto");
            }
            else
            {
                ConfigValues.NullableInt.WriteJson!(w, k, v);
            }
        },
    };

    /// <summary>The keys of a deployment's options (<c>deployments[]</c>): each one's reading, rules, writing, status JSON and change handling.</summary>
    /// <remarks>
    /// The status shows a deployment's options as it runs with them (config over code over defaults), and the controller
    /// compares those, so a key applied in place is one the running options carry.
    /// </remarks>
    internal static ConfigSection<DeploymentConfig> Schema { get; } = new(
        "a deployment's options",
        static () => new DeploymentConfig { Name = "" },
        [
            Field.Of("name", ConfigValues.String, static d => d.Name, static (d, v) => d with { Name = v },
                OnChange.Identity, InJson.Shown, writeAlways: true,
                required: "is required: the name of the deployment these options apply to.",
                validate: static (d, issues, p) =>
                {
                    if (string.IsNullOrWhiteSpace(d.Name))
                    {
                        issues.Add(p, "is required: the name of a deployment in the application.");
                    }
                }),
            Field.Of("num_replicas", NumReplicasValue, static d => d.NumReplicasAuto ? Auto : d.NumReplicas,
                static (d, v) => v == Auto ? d with { NumReplicas = null, NumReplicasAuto = true } : d with { NumReplicas = v, NumReplicasAuto = false },
                OnChange.InPlace("replicas are started or drained to the new count"), InJson.Shown,
                validate: static (d, issues, p) =>
                {
                    if (d.NumReplicas is { } replicas)
                    {
                        ConfigRules.Between(issues, p, replicas, 1, ServeConfig.MaxReplicas);
                        if (d.AutoscalingConfig is not null)
                        {
                            // Ray's message, word for word.
                            issues.Add(p, "Manually setting num_replicas is not allowed when autoscaling_config is provided.");
                        }
                    }
                }),
            Field.Of("max_ongoing_requests", ConfigValues.NullableInt, static d => d.MaxOngoingRequests, static (d, v) => d with { MaxOngoingRequests = v },
                OnChange.InPlace("the running replicas' limit changes; requests in flight keep their slots"), InJson.Shown,
                validate: static (d, issues, p) =>
                {
                    if (d.MaxOngoingRequests is { } ongoing)
                    {
                        ConfigRules.AtLeast(issues, p, ongoing, 1, null);
                    }
                }),
            Field.Of("max_queued_requests", ConfigValues.NullableInt, static d => d.MaxQueuedRequests, static (d, v) => d with { MaxQueuedRequests = v },
                OnChange.InPlace("the router's queue limit changes"), InJson.Shown,
                validate: static (d, issues, p) =>
                {
                    if (d.MaxQueuedRequests is { } queued && queued != -1 && queued < 1)
                    {
                        issues.Add(p, $"must be -1 (unbounded) or an integer ≥ 1; got {queued}.");
                    }
                }),
            Field.Of("user_config", ConfigValues.Json, static d => d.UserConfig, static (d, v) => d with { UserConfig = v },
                OnChange.InPlace("running replicas are reconfigured"), InJson.Shown,
                validate: static (d, issues, p) =>
                {
                    if (d.UserConfig is not null && !ConfigRules.IsJson(d.UserConfig))
                    {
                        issues.Add(p, "must be valid JSON text when set.");
                    }
                }),
            Field.OptionalSection("autoscaling_config", AutoscalingConfig.Schema, static d => d.AutoscalingConfig, static (d, v) => d with { AutoscalingConfig = v },
                OnChange.InPlace("the autoscaler uses the new policy from its next decision; a changed initial_replicas restarts from it"), InJson.Shown),
            Field.Of("graceful_shutdown_timeout_s", ConfigValues.NullableSeconds, static d => d.GracefulShutdownTimeoutS, static (d, v) => d with { GracefulShutdownTimeoutS = v },
                OnChange.InPlace("replicas stopped from then on get the new timeout"), InJson.Shown,
                validate: static (d, issues, p) => ConfigRules.NonNegativeOrNull(issues, p, d.GracefulShutdownTimeoutS)),
            Field.Of("graceful_shutdown_wait_loop_s", ConfigValues.NullableSeconds, static d => d.GracefulShutdownWaitLoopS, static (d, v) => d with { GracefulShutdownWaitLoopS = v },
                OnChange.InPlace("replicas stopped from then on report their remaining requests at the new interval"), InJson.Shown,
                validate: static (d, issues, p) => ConfigRules.PositiveOrNull(issues, p, d.GracefulShutdownWaitLoopS)),
            Field.Of("health_check_period_s", ConfigValues.NullableSeconds, static d => d.HealthCheckPeriodS, static (d, v) => d with { HealthCheckPeriodS = v },
                OnChange.InPlace("the next health check comes after the new period"), InJson.Shown,
                validate: static (d, issues, p) => ConfigRules.PositiveOrNull(issues, p, d.HealthCheckPeriodS)),
            Field.Of("health_check_timeout_s", ConfigValues.NullableSeconds, static d => d.HealthCheckTimeoutS, static (d, v) => d with { HealthCheckTimeoutS = v },
                OnChange.InPlace("health checks from then on get the new timeout"), InJson.Shown,
                validate: static (d, issues, p) => ConfigRules.PositiveOrNull(issues, p, d.HealthCheckTimeoutS)),
            Field.Of("max_constructor_retry_count", ConfigValues.NullableInt, static d => d.MaxConstructorRetryCount, static (d, v) => d with { MaxConstructorRetryCount = v },
                OnChange.InPlace("replicas started from then on get the new retry budget"), InJson.Shown,
                validate: static (d, issues, p) =>
                {
                    if (d.MaxConstructorRetryCount is { } retries)
                    {
                        ConfigRules.AtLeast(issues, p, retries, 1, null);
                    }
                }),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ray_actor_options"] = Unsupported.NotYet + " (Ray actors).",
            ["placement_group_bundles"] = Unsupported.NotYet + ".",
            ["placement_group_strategy"] = Unsupported.NotYet + ".",
            ["max_replicas_per_node"] = Unsupported.NotYet + ".",
            ["logging_config"] = Unsupported.NotYet + " per deployment; set the top-level logging_config.",
            ["request_router_config"] = Unsupported.NotYet + ".",
            ["max_concurrent_queries"] = "was renamed max_ongoing_requests in Ray 2.10; use max_ongoing_requests.",
        });
}
