namespace Serve;

/// <summary>Options of one deployment. Unset values fall back to the attribute, then to the defaults.</summary>
public sealed record DeploymentOptions
{
    /// <summary>Ray Serve's default <c>num_replicas</c>.</summary>
    public const int DefaultNumReplicas = 1;

    /// <summary>Ray Serve's default <c>max_ongoing_requests</c>.</summary>
    public const int DefaultMaxOngoingRequests = 5;

    /// <summary>Ray Serve's default <c>max_queued_requests</c> (unbounded).</summary>
    public const int DefaultMaxQueuedRequests = -1;

    /// <summary>The deployment's name.</summary>
    public string? Name { get; init; }

    /// <summary>How many replicas to run.</summary>
    public int? NumReplicas { get; init; }

    /// <summary>Requests a replica runs at once.</summary>
    public int? MaxOngoingRequests { get; init; }

    /// <summary>Requests that may wait for a replica; -1 means unbounded.</summary>
    public int? MaxQueuedRequests { get; init; }

    /// <summary>
    /// The <c>user_config</c> as JSON text, passed to <see cref="IReconfigurable.ReconfigureAsync"/>; null when unset.
    /// </summary>
    public string? UserConfig { get; init; }

    /// <summary>Returns these options with every value set in <paramref name="overrides"/> replaced.</summary>
    public DeploymentOptions Merge(DeploymentOptions? overrides) => overrides is null ? this : new DeploymentOptions
    {
        Name = overrides.Name ?? Name,
        NumReplicas = overrides.NumReplicas ?? NumReplicas,
        MaxOngoingRequests = overrides.MaxOngoingRequests ?? MaxOngoingRequests,
        MaxQueuedRequests = overrides.MaxQueuedRequests ?? MaxQueuedRequests,
        UserConfig = overrides.UserConfig ?? UserConfig,
    };
}
