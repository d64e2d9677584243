using Serve.Multiplexing;

namespace Serve.Replicas;

/// <summary>Replica states, named as Ray Serve's <c>serve status</c> prints them.</summary>
internal enum ReplicaState
{
    Starting,
    Running,
    Stopping,
    Stopped,
}

/// <summary>
/// One running copy of a deployment: the user's instance plus the count of requests it is
/// running, which the router reads to choose replicas and to enforce <c>max_ongoing_requests</c>.
/// </summary>
internal sealed class Replica
{
    private int _ongoing;

    public Replica(string id, string deploymentName, object instance, int maxOngoingRequests, IMultiplexedModelSet? models = null)
    {
        Models = models;
        Id = id;
        DeploymentName = deploymentName;
        Instance = instance;
        MaxOngoingRequests = maxOngoingRequests;
        State = ReplicaState.Running;
    }

    /// <summary>Unique replica id, e.g. <c>app1#GrpcDeployment#3f9a1c</c>.</summary>
    public string Id { get; }

    public string DeploymentName { get; }

    /// <summary>The user's deployment instance; generated invokers cast it back to its class.</summary>
    public object Instance { get; }

    public int MaxOngoingRequests { get; }

    /// <summary>The replica's multiplexed models, for deployments with a [Multiplexed] loader.</summary>
    public IMultiplexedModelSet? Models { get; }

    /// <summary>True when a slot is free now (a hint: <see cref="TryAcquire"/> decides).</summary>
    public bool HasCapacity => Ongoing < MaxOngoingRequests;

    public ReplicaState State { get; set; }

    /// <summary>Requests running on this replica now.</summary>
    public int Ongoing => Volatile.Read(ref _ongoing);

    /// <summary>Takes a slot if one is free. Lock-free: the router calls it on every request.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _ongoing);
        while (current < MaxOngoingRequests)
        {
            var seen = Interlocked.CompareExchange(ref _ongoing, current + 1, current);
            if (seen == current)
            {
                return true;
            }
            current = seen;
        }
        return false;
    }

    /// <summary>Gives a slot back.</summary>
    public void Release() => Interlocked.Decrement(ref _ongoing);

    /// <summary>Disposes the user's instance once no request runs on it any more.</summary>
    public async ValueTask StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        State = ReplicaState.Stopping;
        var deadline = DateTime.UtcNow + drainTimeout;
        while (Ongoing > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None).ConfigureAwait(false);
        }
        if (Models is IAsyncDisposable models && !ReferenceEquals(models, Instance))
        {
            await models.DisposeAsync().ConfigureAwait(false);
        }
        switch (Instance)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
        State = ReplicaState.Stopped;
    }
}
