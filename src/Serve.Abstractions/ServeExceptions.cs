namespace Serve;

/// <summary>
/// Every replica of a deployment is busy and its queue is full (<c>max_queued_requests</c>); Ray Serve's
/// <c>BackPressureError</c>. Proxies answer RESOURCE_EXHAUSTED (gRPC) or 503 with Retry-After (HTTP),
/// also when a deployment method lets one from a handle call escape.
/// </summary>
public sealed class BackPressureException : Exception
{
    /// <summary>Creates the exception with Ray Serve's message.</summary>
    public BackPressureException(string deploymentName, int queued, int maxQueued)
        : base($"Request dropped due to backpressure (num_queued_requests={queued}, max_queued_requests={maxQueued}) on deployment '{deploymentName}'.")
        => DeploymentName = deploymentName;

    /// <summary>The deployment that refused the request.</summary>
    public string DeploymentName { get; }
}

/// <summary>
/// A deployment has no running replica to send the request to, or the replica running it was stopped before it
/// finished (UNAVAILABLE / 503).
/// </summary>
public sealed class DeploymentUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeploymentUnavailableException(string deploymentName)
        : base($"Deployment '{deploymentName}' has no running replica.")
        => DeploymentName = deploymentName;

    /// <summary>Creates the exception with its own message (a replica stopped while the request ran on it, say).</summary>
    public DeploymentUnavailableException(string deploymentName, string message)
        : base(message)
        => DeploymentName = deploymentName;

    /// <summary>The deployment without replicas.</summary>
    public string DeploymentName { get; }
}
