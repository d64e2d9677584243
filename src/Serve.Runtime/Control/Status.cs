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
}
