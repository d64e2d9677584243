namespace Serve;

/// <summary>
/// What Serve knows about the request being handled: its id, the application it was routed to and
/// the multiplexed model id. A deployment method receives it by declaring a parameter of this type,
/// or reads <see cref="Current"/> (Ray's <c>serve.get_multiplexed_model_id()</c>).
/// </summary>
public sealed class ServeRequestContext
{
    private static readonly AsyncLocal<ServeRequestContext?> s_current = new();

    /// <summary>Creates a context.</summary>
    public ServeRequestContext(string requestId, string applicationName, string multiplexedModelId = "", string route = "")
    {
        RequestId = requestId;
        ApplicationName = applicationName;
        MultiplexedModelId = multiplexedModelId;
        Route = route;
    }

    /// <summary>The request id: the client's <c>request_id</c> metadata / <c>x-request-id</c> header, or a generated UUID.</summary>
    public string RequestId { get; }

    /// <summary>The application the request was routed to.</summary>
    public string ApplicationName { get; }

    /// <summary>The <c>multiplexed_model_id</c> the client asked for; empty when none.</summary>
    public string MultiplexedModelId { get; }

    /// <summary>The gRPC method path (<c>/package.Service/Method</c>) or HTTP route the request came in on.</summary>
    public string Route { get; }

    /// <summary>The deployment whose replica runs the request (Ray's replica context); empty until a replica took it.</summary>
    public string Deployment { get; private set; } = "";

    /// <summary>The id of the replica running the request, e.g. <c>app1#Model#3f9a1c2b</c>; empty until a replica took it.</summary>
    public string ReplicaId { get; private set; } = "";

    /// <summary>Records the replica that took the request (its log lines name it); called by the runtime.</summary>
    /// <param name="deployment">The replica's deployment.</param>
    /// <param name="replicaId">The replica's id.</param>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void AssignReplica(string deployment, string replicaId)
    {
        Deployment = deployment;
        ReplicaId = replicaId;
    }

    /// <summary>The context of the request running on this async flow, or null outside a request.</summary>
    public static ServeRequestContext? Current => s_current.Value;

    /// <summary>Makes <paramref name="context"/> current for the calling async flow; used by the runtime.</summary>
    public static void SetCurrent(ServeRequestContext? context) => s_current.Value = context;
}
