using System.Globalization;
using Field = Serve.Config.ConfigFields<Serve.Config.AutoscalingConfig>;

namespace Serve.Config;

/// <summary>
/// A deployment's autoscaling options (<c>autoscaling_config</c>), with Ray Serve's keys and defaults. Every option is
/// nullable: null means "not set", so that <c>num_replicas: auto</c> can fill its own defaults (max 100) under the ones
/// set here. Serve runs Ray's default policy: desired replicas = ongoing and queued requests (averaged over
/// <see cref="LookBackPeriodS"/>) / <see cref="TargetOngoingRequests"/>, smoothed by the scaling factors, clamped to
/// [<see cref="MinReplicas"/>, <see cref="MaxReplicas"/>], applied once the decision held for the delay.
/// </summary>
public sealed record AutoscalingConfig
{
    /// <summary>Ray's default <c>min_replicas</c>: 1.</summary>
    public const int DefaultMinReplicas = 1;

    /// <summary>Ray's default <c>max_replicas</c>: 1 (100 with <c>num_replicas: auto</c>).</summary>
    public const int DefaultMaxReplicas = 1;

    /// <summary>The <c>max_replicas</c> of <c>num_replicas: auto</c>: 100.</summary>
    public const int AutoMaxReplicas = 100;

    /// <summary>Ray's default <c>target_ongoing_requests</c>: 2.</summary>
    public const double DefaultTargetOngoingRequests = 2;

    /// <summary>Ray's default <c>metrics_interval_s</c>: 10 seconds.</summary>
    public const double DefaultMetricsIntervalS = 10;

    /// <summary>Ray's default <c>look_back_period_s</c>: 30 seconds.</summary>
    public const double DefaultLookBackPeriodS = 30;

    /// <summary>Ray's default <c>upscale_delay_s</c>: 30 seconds.</summary>
    public const double DefaultUpscaleDelayS = 30;

    /// <summary>Ray's default <c>downscale_delay_s</c>: 600 seconds.</summary>
    public const double DefaultDownscaleDelayS = 600;

    /// <summary>The aggregations accepted by <see cref="AggregationFunction"/>.</summary>
    public static IReadOnlyList<string> AggregationFunctions { get; } = ["mean", "max", "min"];

    /// <summary>The fewest replicas (<c>min_replicas</c>; ≥ 0, default 1). 0 lets an idle deployment scale to zero.</summary>
    public int? MinReplicas { get; init; }

    /// <summary>The replicas a deployment starts with (<c>initial_replicas</c>; default <see cref="MinReplicas"/>).</summary>
    public int? InitialReplicas { get; init; }

    /// <summary>The most replicas (<c>max_replicas</c>; ≥ 1, default 1, or 100 with <c>num_replicas: auto</c>).</summary>
    public int? MaxReplicas { get; init; }

    /// <summary>The ongoing plus queued requests per replica the autoscaler aims for (<c>target_ongoing_requests</c>; &gt; 0, default 2).</summary>
    public double? TargetOngoingRequests { get; init; }

    /// <summary>How often the autoscaler takes a new reading of the load (<c>metrics_interval_s</c>; &gt; 0, default 10).</summary>
    public double? MetricsIntervalS { get; init; }

    /// <summary>The window the load is averaged over (<c>look_back_period_s</c>; &gt; 0, default 30).</summary>
    public double? LookBackPeriodS { get; init; }

    /// <summary>Multiplies every scaling decision's step (<c>smoothing_factor</c>, deprecated by Ray; &gt; 0, default 1).</summary>
    public double? SmoothingFactor { get; init; }

    /// <summary>The step factor when scaling up (<c>upscale_smoothing_factor</c>, deprecated by Ray for <see cref="UpscalingFactor"/>).</summary>
    public double? UpscaleSmoothingFactor { get; init; }

    /// <summary>The step factor when scaling down (<c>downscale_smoothing_factor</c>, deprecated by Ray for <see cref="DownscalingFactor"/>).</summary>
    public double? DownscaleSmoothingFactor { get; init; }

    /// <summary>The step factor when scaling up (<c>upscaling_factor</c>; &gt; 0; wins over the smoothing factors).</summary>
    public double? UpscalingFactor { get; init; }

    /// <summary>The step factor when scaling down (<c>downscaling_factor</c>; &gt; 0; wins over the smoothing factors).</summary>
    public double? DownscalingFactor { get; init; }

    /// <summary>How long an upscale decision must hold before it is applied (<c>upscale_delay_s</c>; ≥ 0, default 30).</summary>
    public double? UpscaleDelayS { get; init; }

    /// <summary>How long a downscale decision must hold before it is applied (<c>downscale_delay_s</c>; ≥ 0, default 600).</summary>
    public double? DownscaleDelayS { get; init; }

    /// <summary>How long the decision to go from 1 replica to 0 must hold (<c>downscale_to_zero_delay_s</c>; ≥ 0; default <see cref="DownscaleDelayS"/>).</summary>
    public double? DownscaleToZeroDelayS { get; init; }

    /// <summary>How the load samples of the look-back window are combined (<c>aggregation_function</c>: mean, the default, max or min).</summary>
    public string? AggregationFunction { get; init; }

    /// <summary>Checks these options; throws <see cref="ServeConfigException"/> listing every problem.</summary>
    public void Validate() => ConfigIssues.Run(nameof(AutoscalingConfig), issues => Schema.Validate(this, issues, ""));

    private static void NonNegativeInt(ConfigIssues issues, string path, int? value)
    {
        if (value is { } v)
        {
            ConfigRules.Between(issues, path, v, 0, ServeConfig.MaxReplicas);
        }
    }

    private static void PositiveNumber(ConfigIssues issues, string path, double? value)
    {
        if (value is { } v && (!double.IsFinite(v) || v <= 0))
        {
            issues.Add(path, $"must be a number > 0; got {v.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private const string InPlace = "the autoscaler uses it from its next decision";

    /// <summary>The keys of <c>autoscaling_config</c>.</summary>
    internal static ConfigSection<AutoscalingConfig> Schema { get; } = new(
        "autoscaling_config",
        static () => new AutoscalingConfig(),
        [
            Field.Of("min_replicas", ConfigValues.NullableInt, static a => a.MinReplicas, static (a, v) => a with { MinReplicas = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => NonNegativeInt(issues, p, a.MinReplicas)),
            Field.Of("initial_replicas", ConfigValues.NullableInt, static a => a.InitialReplicas, static (a, v) => a with { InitialReplicas = v },
                OnChange.InPlace("a changed policy starts again from it"), InJson.Shown,
                validate: static (a, issues, p) => NonNegativeInt(issues, p, a.InitialReplicas)),
            Field.Of("max_replicas", ConfigValues.NullableInt, static a => a.MaxReplicas, static (a, v) => a with { MaxReplicas = v },
                OnChange.InPlace(InPlace), InJson.Shown,
                validate: static (a, issues, p) =>
                {
                    if (a.MaxReplicas is { } max)
                    {
                        ConfigRules.Between(issues, p, max, 1, ServeConfig.MaxReplicas);
                    }
                    // Ray's replicas_settings_valid, word for word.
                    var min = a.MinReplicas ?? DefaultMinReplicas;
                    if (a.MaxReplicas is { } m && m >= 1 && m < min)
                    {
                        issues.Add(p, $"max_replicas ({m}) must be greater than or equal to min_replicas ({min})!");
                    }
                    if (a.InitialReplicas is { } initial)
                    {
                        if (initial < min)
                        {
                            issues.Add(p, $"min_replicas ({min}) must be less than or equal to initial_replicas ({initial})!");
                        }
                        if (a.MaxReplicas is { } m2 && m2 < initial)
                        {
                            issues.Add(p, $"max_replicas ({m2}) must be greater than or equal to initial_replicas ({initial})!");
                        }
                    }
                }),
            Field.Of("target_ongoing_requests", ConfigValues.NullableNumber, static a => a.TargetOngoingRequests, static (a, v) => a with { TargetOngoingRequests = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.TargetOngoingRequests)),
            Field.Of("metrics_interval_s", ConfigValues.NullableSeconds, static a => a.MetricsIntervalS, static (a, v) => a with { MetricsIntervalS = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => ConfigRules.PositiveOrNull(issues, p, a.MetricsIntervalS)),
            Field.Of("look_back_period_s", ConfigValues.NullableSeconds, static a => a.LookBackPeriodS, static (a, v) => a with { LookBackPeriodS = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => ConfigRules.PositiveOrNull(issues, p, a.LookBackPeriodS)),
            Field.Of("smoothing_factor", ConfigValues.NullableNumber, static a => a.SmoothingFactor, static (a, v) => a with { SmoothingFactor = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.SmoothingFactor)),
            Field.Of("upscale_smoothing_factor", ConfigValues.NullableNumber, static a => a.UpscaleSmoothingFactor, static (a, v) => a with { UpscaleSmoothingFactor = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.UpscaleSmoothingFactor)),
            Field.Of("downscale_smoothing_factor", ConfigValues.NullableNumber, static a => a.DownscaleSmoothingFactor, static (a, v) => a with { DownscaleSmoothingFactor = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.DownscaleSmoothingFactor)),
            Field.Of("upscaling_factor", ConfigValues.NullableNumber, static a => a.UpscalingFactor, static (a, v) => a with { UpscalingFactor = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.UpscalingFactor)),
            Field.Of("downscaling_factor", ConfigValues.NullableNumber, static a => a.DownscalingFactor, static (a, v) => a with { DownscalingFactor = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => PositiveNumber(issues, p, a.DownscalingFactor)),
            Field.Of("upscale_delay_s", ConfigValues.NullableSeconds, static a => a.UpscaleDelayS, static (a, v) => a with { UpscaleDelayS = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => ConfigRules.NonNegativeOrNull(issues, p, a.UpscaleDelayS)),
            Field.Of("downscale_delay_s", ConfigValues.NullableSeconds, static a => a.DownscaleDelayS, static (a, v) => a with { DownscaleDelayS = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => ConfigRules.NonNegativeOrNull(issues, p, a.DownscaleDelayS)),
            Field.Of("downscale_to_zero_delay_s", ConfigValues.NullableSeconds, static a => a.DownscaleToZeroDelayS, static (a, v) => a with { DownscaleToZeroDelayS = v },
                OnChange.InPlace(InPlace), InJson.Shown, validate: static (a, issues, p) => ConfigRules.NonNegativeOrNull(issues, p, a.DownscaleToZeroDelayS)),
            Field.Of("aggregation_function", ConfigValues.NullableString, static a => a.AggregationFunction, static (a, v) => a with { AggregationFunction = v?.ToLowerInvariant() },
                OnChange.InPlace(InPlace), InJson.Shown,
                validate: static (a, issues, p) =>
                {
                    if (a.AggregationFunction is { } f && !AggregationFunctions.Contains(f, StringComparer.Ordinal))
                    {
                        issues.Add(p, $"must be one of {string.Join(", ", AggregationFunctions)}; got {ConfigRules.Quote(f)}.");
                    }
                }),
        ],
        unsupported: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["policy"] = "names a Python autoscaling policy, which Serve for .NET cannot load; leave it out to get Ray's default policy (replica_queue_length_autoscaling_policy).",
            ["target_num_ongoing_requests_per_replica"] = "was renamed target_ongoing_requests (Ray 2.10) and removed; use target_ongoing_requests.",
        });
}
