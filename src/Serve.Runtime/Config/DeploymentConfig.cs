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

    /// <summary>The name of the deployment these options apply to (<c>name</c>; required, unique in its application).</summary>
    public required string Name { get; init; }

    /// <summary>How many replicas to run (<c>num_replicas</c>; 1 to <see cref="ServeConfig.MaxReplicas"/>). Ray's <c>"auto"</c> (autoscaling) is not supported yet.</summary>
    public int? NumReplicas { get; init; }

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

    internal void Validate(ConfigIssues issues, string path)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            issues.Add(ConfigPath.Key(path, "name"), "is required: the name of a deployment in the application.");
        }

        if (NumReplicas is { } replicas)
        {
            ConfigRules.Between(issues, ConfigPath.Key(path, "num_replicas"), replicas, 1, ServeConfig.MaxReplicas);
        }

        if (MaxOngoingRequests is { } ongoing)
        {
            ConfigRules.AtLeast(issues, ConfigPath.Key(path, "max_ongoing_requests"), ongoing, 1, null);
        }

        if (MaxQueuedRequests is { } queued && queued != -1 && queued < 1)
        {
            issues.Add(ConfigPath.Key(path, "max_queued_requests"), $"must be -1 (unbounded) or an integer ≥ 1; got {queued}.");
        }

        if (UserConfig is not null && !ConfigRules.IsJson(UserConfig))
        {
            issues.Add(ConfigPath.Key(path, "user_config"), "must be valid JSON text when set.");
        }

        ConfigRules.NonNegativeOrNull(issues, ConfigPath.Key(path, "graceful_shutdown_timeout_s"), GracefulShutdownTimeoutS);
        ConfigRules.PositiveOrNull(issues, ConfigPath.Key(path, "graceful_shutdown_wait_loop_s"), GracefulShutdownWaitLoopS);
        ConfigRules.PositiveOrNull(issues, ConfigPath.Key(path, "health_check_period_s"), HealthCheckPeriodS);
        ConfigRules.PositiveOrNull(issues, ConfigPath.Key(path, "health_check_timeout_s"), HealthCheckTimeoutS);
    }
}
