namespace Serve.Control;

/// <summary>Application states, as Ray Serve's <c>serve status</c> names them.</summary>
public enum ApplicationStatus
{
    /// <summary>Not deployed yet.</summary>
    NotStarted,
    /// <summary>Replicas are being created.</summary>
    Deploying,
    /// <summary>The application could not be deployed; see the message.</summary>
    DeployFailed,
    /// <summary>Every deployment is healthy.</summary>
    Running,
    /// <summary>Some deployment is unhealthy.</summary>
    Unhealthy,
    /// <summary>Being removed.</summary>
    Deleting,
}

/// <summary>Deployment states, as Ray Serve's <c>serve status</c> names them.</summary>
public enum DeploymentStatus
{
    /// <summary>Replicas are being created or replaced.</summary>
    Updating,
    /// <summary>All replicas are running.</summary>
    Healthy,
    /// <summary>Replicas failed to start or are unhealthy.</summary>
    Unhealthy,
    /// <summary>The deployment could not reach its target: a replica failed to start or to apply its <c>user_config</c>.</summary>
    DeployFailed,
    /// <summary>Replicas are being added.</summary>
    Upscaling,
    /// <summary>Replicas are being removed.</summary>
    Downscaling,
}

/// <summary>What last changed a deployment's status (Ray's <c>status_trigger</c>).</summary>
internal enum DeploymentStatusTrigger
{
    Unspecified,
    ConfigUpdateStarted,
    ConfigUpdateCompleted,
    UpscaleCompleted,
    DownscaleCompleted,
    ReplicaStartupFailed,
    HealthCheckFailed,
    Autoscaling,
}

/// <summary>Ray's spelling of the states: <c>DEPLOY_FAILED</c>, <c>HEALTHY</c>, …</summary>
internal static class StatusNames
{
    public static string Of(ApplicationStatus status) => status switch
    {
        ApplicationStatus.NotStarted => "NOT_STARTED",
        ApplicationStatus.Deploying => "DEPLOYING",
        ApplicationStatus.DeployFailed => "DEPLOY_FAILED",
        ApplicationStatus.Running => "RUNNING",
        ApplicationStatus.Unhealthy => "UNHEALTHY",
        ApplicationStatus.Deleting => "DELETING",
        _ => status.ToString().ToUpperInvariant(),
    };

    public static string Of(DeploymentStatus status) => status switch
    {
        DeploymentStatus.Updating => "UPDATING",
        DeploymentStatus.Healthy => "HEALTHY",
        DeploymentStatus.Unhealthy => "UNHEALTHY",
        DeploymentStatus.DeployFailed => "DEPLOY_FAILED",
        DeploymentStatus.Upscaling => "UPSCALING",
        DeploymentStatus.Downscaling => "DOWNSCALING",
        _ => status.ToString().ToUpperInvariant(),
    };

    public static string Of(DeploymentStatusTrigger trigger) => trigger switch
    {
        DeploymentStatusTrigger.ConfigUpdateStarted => "CONFIG_UPDATE_STARTED",
        DeploymentStatusTrigger.ConfigUpdateCompleted => "CONFIG_UPDATE_COMPLETED",
        DeploymentStatusTrigger.UpscaleCompleted => "UPSCALE_COMPLETED",
        DeploymentStatusTrigger.DownscaleCompleted => "DOWNSCALE_COMPLETED",
        DeploymentStatusTrigger.ReplicaStartupFailed => "REPLICA_STARTUP_FAILED",
        DeploymentStatusTrigger.HealthCheckFailed => "HEALTH_CHECK_FAILED",
        DeploymentStatusTrigger.Autoscaling => "AUTOSCALING",
        DeploymentStatusTrigger.Unspecified => "UNSPECIFIED",
        _ => trigger.ToString().ToUpperInvariant(),
    };

    public static string Of(Replicas.ReplicaState state) => state switch
    {
        Replicas.ReplicaState.Starting => "STARTING",
        Replicas.ReplicaState.Running => "RUNNING",
        Replicas.ReplicaState.Updating => "UPDATING",
        Replicas.ReplicaState.Stopping => "STOPPING",
        Replicas.ReplicaState.Stopped => "STOPPED",
        _ => state.ToString().ToUpperInvariant(),
    };
}
