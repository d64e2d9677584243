using Serve.Dispatch;
using Serve.Replicas;
using Serve.Routing;

namespace Serve.Control;

/// <summary>One deployment of a running application: its effective options, replicas and router.</summary>
internal sealed class DeploymentState
{
    public DeploymentState(string applicationName, DeploymentDefinition definition, string name, int numReplicas, int maxOngoingRequests, int maxQueuedRequests)
    {
        ApplicationName = applicationName;
        Definition = definition;
        Name = name;
        NumReplicas = numReplicas;
        MaxOngoingRequests = maxOngoingRequests;
        MaxQueuedRequests = maxQueuedRequests;
        Router = new ReplicaRouter(name, maxQueuedRequests);
        HandleTarget = new RouterHandleTarget(applicationName, name, Router);
    }

    public string ApplicationName { get; }

    public DeploymentDefinition Definition { get; }

    public string Name { get; }

    public int NumReplicas { get; }

    public int MaxOngoingRequests { get; }

    public int MaxQueuedRequests { get; }

    public ReplicaRouter Router { get; }

    /// <summary>Where handles to this deployment send their calls; one per deployment, shared by every handle.</summary>
    public RouterHandleTarget HandleTarget { get; }

    public DeploymentStatus Status { get; set; } = DeploymentStatus.Updating;

    public string Message { get; set; } = "";
}
