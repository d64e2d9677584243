namespace Serve;

/// <summary>
/// Marks a class as a Serve deployment: Serve runs replicas of it and routes requests to them.
/// The class must be <c>partial</c>; the source generator adds a static <c>Bind(...)</c> method
/// and a reflection-free dispatch table to it.
/// </summary>
/// <remarks>Defaults match Ray Serve's <c>@serve.deployment</c>; a config file overrides them.</remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DeploymentAttribute : Attribute
{
    /// <summary>The deployment's name. Defaults to the class name.</summary>
    public string? Name { get; set; }

    /// <summary>How many replicas to run (Ray's <c>num_replicas</c>). Default 1.</summary>
    public int NumReplicas { get; set; } = DeploymentOptions.DefaultNumReplicas;

    /// <summary>Requests a replica runs at once (Ray's <c>max_ongoing_requests</c>). Default 5.</summary>
    public int MaxOngoingRequests { get; set; } = DeploymentOptions.DefaultMaxOngoingRequests;

    /// <summary>Requests that may wait for a replica; -1 means unbounded (Ray's <c>max_queued_requests</c>).</summary>
    public int MaxQueuedRequests { get; set; } = DeploymentOptions.DefaultMaxQueuedRequests;
}

/// <summary>
/// Declares that a deployment serves a gRPC service defined in a <c>.proto</c> file of the
/// compilation, by its fully qualified name (<c>package.Service</c>). Every RPC of the service must
/// have a matching method on the deployment; the build fails otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GrpcServiceAttribute : Attribute
{
    /// <summary>Declares the served service.</summary>
    /// <param name="serviceName">The fully qualified proto service name, e.g. <c>userdefinedprotos.UserDefinedService</c>.</param>
    public GrpcServiceAttribute(string serviceName) => ServiceName = serviceName;

    /// <summary>The fully qualified proto service name.</summary>
    public string ServiceName { get; }
}

/// <summary>
/// Binds a method to an RPC whose name is not a natural C# method name
/// (for example <c>[GrpcMethod("__call__")] public Response Call(Request r)</c>).
/// Without it, a method binds to the RPC of exactly the same name.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class GrpcMethodAttribute : Attribute
{
    /// <summary>Binds the method to the named RPC.</summary>
    /// <param name="rpcName">The RPC's name as written in the <c>.proto</c> file (case-sensitive).</param>
    public GrpcMethodAttribute(string rpcName) => RpcName = rpcName;

    /// <summary>The RPC's name as written in the <c>.proto</c> file.</summary>
    public string RpcName { get; }
}

/// <summary>
/// Marks a static method or property that builds an <see cref="Application"/>, so that a config
/// file can name it in <c>import_path</c> as <c>Namespace.Type:Member</c>. A method may take one
/// <see cref="ApplicationArgs"/> parameter, which receives the config's <c>args</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
public sealed class ApplicationBuilderAttribute : Attribute
{
}
