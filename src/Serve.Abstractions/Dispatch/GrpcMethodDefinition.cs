using System.ComponentModel;

namespace Serve.Dispatch;

/// <summary>The streaming shape of an RPC, as declared in its <c>.proto</c> file.</summary>
public enum GrpcMethodType
{
    /// <summary>One request, one response.</summary>
    Unary,
    /// <summary>A stream of requests, one response.</summary>
    ClientStreaming,
    /// <summary>One request, a stream of responses.</summary>
    ServerStreaming,
    /// <summary>Streams both ways.</summary>
    DuplexStreaming,
}

/// <summary>
/// Invokes one RPC on a replica instance: parses the request from <paramref name="call"/>, calls the
/// user's method and writes its response(s) back through <paramref name="call"/>. Emitted by the
/// source generator; never built by hand.
/// </summary>
/// <param name="instance">The replica's deployment instance.</param>
/// <param name="call">The call being served.</param>
public delegate ValueTask GrpcMethodInvoker(object instance, GrpcServerCall call);

/// <summary>One entry of a deployment's generated gRPC dispatch table.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GrpcMethodDefinition
{
    /// <summary>Creates an entry; called by generated code.</summary>
    public GrpcMethodDefinition(string serviceName, string methodName, GrpcMethodType methodType, string requestType, string responseType, GrpcMethodInvoker invoker)
    {
        ServiceName = serviceName;
        MethodName = methodName;
        MethodType = methodType;
        RequestType = requestType;
        ResponseType = responseType;
        Invoker = invoker;
        Path = "/" + serviceName + "/" + methodName;
    }

    /// <summary>The fully qualified proto service name.</summary>
    public string ServiceName { get; }

    /// <summary>The RPC name, exactly as in the <c>.proto</c> file.</summary>
    public string MethodName { get; }

    /// <summary>The HTTP/2 <c>:path</c> the RPC is called on: <c>/package.Service/Method</c>.</summary>
    public string Path { get; }

    /// <summary>The streaming shape.</summary>
    public GrpcMethodType MethodType { get; }

    /// <summary>The fully qualified proto name of the request message.</summary>
    public string RequestType { get; }

    /// <summary>The fully qualified proto name of the response message.</summary>
    public string ResponseType { get; }

    /// <summary>Parses, calls and serializes.</summary>
    public GrpcMethodInvoker Invoker { get; }
}

/// <summary>
/// A deployment as the generator describes it: its name, default options, how to create an
/// instance, and its gRPC dispatch table.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DeploymentDefinition
{
    /// <summary>Creates a definition; called by generated code.</summary>
    /// <param name="name">The deployment's name.</param>
    /// <param name="typeName">The deployment class's full name.</param>
    /// <param name="options">The attribute's options.</param>
    /// <param name="bindParameterCount">How many arguments <c>Bind(...)</c> takes.</param>
    /// <param name="factory">Creates an instance from the bound arguments and the replica's services.</param>
    /// <param name="grpcServices">The proto services served.</param>
    /// <param name="grpcMethods">The gRPC dispatch table.</param>
    public DeploymentDefinition(string name, string typeName, DeploymentOptions options, int bindParameterCount, Func<object?[], IServiceProvider, object> factory, IReadOnlyList<string> grpcServices, IReadOnlyList<GrpcMethodDefinition> grpcMethods)
    {
        BindParameterCount = bindParameterCount;
        Name = name;
        TypeName = typeName;
        Options = options;
        Factory = factory;
        GrpcServices = grpcServices;
        GrpcMethods = grpcMethods;
    }

    /// <summary>The deployment's name (attribute or class name).</summary>
    public string Name { get; }

    /// <summary>The deployment class's full name, e.g. <c>GrpcQuickstart.GrpcDeployment</c>.</summary>
    public string TypeName { get; }

    /// <summary>The options from the <see cref="DeploymentAttribute"/>.</summary>
    public DeploymentOptions Options { get; }

    /// <summary>
    /// How many arguments <c>Bind(...)</c> takes: the constructor's parameters except those resolved from the
    /// replica's services.
    /// </summary>
    public int BindParameterCount { get; }

    /// <summary>
    /// Creates an instance from the bound arguments and the replica's services (for the constructor parameters that
    /// are resolved from them).
    /// </summary>
    public Func<object?[], IServiceProvider, object> Factory { get; }

    /// <summary>The fully qualified proto services the deployment serves.</summary>
    public IReadOnlyList<string> GrpcServices { get; }

    /// <summary>The gRPC dispatch table: one entry per RPC of every served service.</summary>
    public IReadOnlyList<GrpcMethodDefinition> GrpcMethods { get; }

    /// <summary>
    /// For a deployment with a <see cref="MultiplexedAttribute"/> method: reads an instance's model
    /// cache, so the router can prefer replicas that hold a request's model. Null otherwise.
    /// </summary>
    public Func<object, Multiplexing.IMultiplexedModelSet>? MultiplexedModels { get; init; }

    /// <summary>
    /// The deployment's health check (a <see cref="HealthCheckAttribute"/> method, or one named <c>CheckHealth</c> or
    /// <c>CheckHealthAsync</c>): called on an instance, it completes when the replica is healthy and fails when it is
    /// not. Null when the deployment has none.
    /// </summary>
    public Func<object, CancellationToken, ValueTask>? HealthCheck { get; init; }

    /// <summary>The HTTP route table: routed methods, or one plain ingress entry. Empty when the deployment serves no HTTP.</summary>
    public IReadOnlyList<HttpRouteDefinition> HttpRoutes { get; init; } = [];

    /// <summary>The OpenAPI 3.1 document of a routed ingress, as JSON, generated at build time; null otherwise.</summary>
    public string? OpenApiJson { get; init; }

    /// <summary>
    /// The deployment's <see cref="BatchAttribute"/> methods: their settings, which the runtime checks against
    /// <c>max_ongoing_requests</c>, and their per-replica queues, which it stops with the replica. Empty without any.
    /// </summary>
    public IReadOnlyList<Batching.BatchMethodDefinition> BatchMethods { get; init; } = [];
}
