namespace Serve.Routing;

/// <summary>
/// Every replica of a deployment is busy and its queue is full (<c>max_queued_requests</c>).
/// Proxies answer RESOURCE_EXHAUSTED (gRPC) or 503 with Retry-After (HTTP).
/// </summary>
internal sealed class BackpressureException(string deploymentName, int queued, int maxQueued)
    : Exception($"Request dropped due to backpressure (num_queued_requests={queued}, max_queued_requests={maxQueued}) on deployment '{deploymentName}'.")
{
    public string DeploymentName { get; } = deploymentName;
}

/// <summary>A deployment has no running replica to send the request to (UNAVAILABLE / 503).</summary>
internal sealed class NoReplicaException(string deploymentName)
    : Exception($"Deployment '{deploymentName}' has no running replica.")
{
    public string DeploymentName { get; } = deploymentName;
}
