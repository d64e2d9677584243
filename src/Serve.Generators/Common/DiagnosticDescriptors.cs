using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Serve.Generators;

/// <summary>Every diagnostic the generator reports. The ids are stable; docs/diagnostics.md documents each one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Serve";

    public static readonly DiagnosticDescriptor DeploymentNotPartial = Error(
        "SERVE0001",
        "Deployment class must be partial",
        "Deployment class '{0}' must be declared 'partial' (and so must every type containing it) so that Serve can add its Bind method and dispatch table");

    public static readonly DiagnosticDescriptor UnknownService = Error(
        "SERVE0002",
        "Unknown gRPC service",
        "[GrpcService(\"{0}\")] names a service that no .proto file of this compilation defines{1}");

    public static readonly DiagnosticDescriptor MissingMethod = Error(
        "SERVE0003",
        "RPC has no deployment method",
        "Deployment '{0}' serves '{1}' but has no method for RPC '{2}'; {3}");

    public static readonly DiagnosticDescriptor CaseMismatch = Error(
        "SERVE0004",
        "Method name differs from an RPC name only in case",
        "Method '{0}' does not bind to any RPC: RPC names are case-sensitive; did you mean '{1}'? Rename the method or add [GrpcMethod(\"{1}\")].");

    public static readonly DiagnosticDescriptor WrongRequestType = Error(
        "SERVE0005",
        "Wrong request type",
        "Method '{0}' binds to RPC '{1}'; its first parameter must be {2}{3}");

    public static readonly DiagnosticDescriptor WrongResponseType = Error(
        "SERVE0006",
        "Wrong response type",
        "Method '{0}' binds to RPC '{1}' and must return {2}, not '{3}'");

    public static readonly DiagnosticDescriptor WrongStreamingShape = Error(
        "SERVE0007",
        "Streaming shape mismatch",
        "Method '{0}' binds to {1} RPC '{2}' but {3}; it must {4}");

    public static readonly DiagnosticDescriptor UnsupportedSignature = Error(
        "SERVE0008",
        "Unsupported deployment method signature",
        "Method '{0}' cannot serve RPC '{1}': {2}");

    public static readonly DiagnosticDescriptor DuplicateBinding = Error(
        "SERVE0009",
        "Two methods bound to one RPC",
        "Methods '{0}' and '{1}' both bind to RPC '{2}'; keep one, or bind the other elsewhere with [GrpcMethod]");

    public static readonly DiagnosticDescriptor UnknownRpc = Error(
        "SERVE0010",
        "[GrpcMethod] names an unknown RPC",
        "[GrpcMethod(\"{0}\")] on method '{1}' names no RPC of the services deployment '{2}' serves ({3}){4}");

    // SERVE0011 ("client-streaming and bidirectional-streaming RPCs are not supported yet") is retired: those RPCs
    // are supported now. The id is never reused.

    public static readonly DiagnosticDescriptor InvalidApplicationBuilder = Error(
        "SERVE0012",
        "Invalid [ApplicationBuilder] member",
        "[ApplicationBuilder] member '{0}' {1}; it must be a static property or a static method taking no parameters or one Serve.ApplicationArgs, returning Serve.Application, in a non-generic public or internal type");

    public static readonly DiagnosticDescriptor NoUsableConstructor = Error(
        "SERVE0013",
        "Deployment has no usable public constructor",
        "Deployment class '{0}' {1}; Bind(...) and replicas use its single public constructor, so {2}");

    public static readonly DiagnosticDescriptor UnsupportedDeploymentClass = Error(
        "SERVE0014",
        "Unsupported deployment class",
        "Deployment class '{0}' {1}");

    public static readonly DiagnosticDescriptor UnreadableDescriptor = Warning(
        "SERVE0015",
        "Protobuf descriptor could not be read",
        "The protobuf descriptor in '{0}' could not be read ({1}); its services are ignored");

    public static readonly DiagnosticDescriptor UnresolvedMessageType = Error(
        "SERVE0016",
        "Message type has no C# type in this compilation",
        "RPC '{0}' of '{1}' uses message '{2}', whose C# type is not generated in this compilation; add its .proto file to the project with <Protobuf Include=... />");

    public static readonly DiagnosticDescriptor DuplicateService = Warning(
        "SERVE0017",
        "Service declared twice",
        "Deployment '{0}' declares [GrpcService(\"{1}\")] more than once");

    public static readonly DiagnosticDescriptor ContextParameterFirst = Error(
        "SERVE0018",
        "Context parameter before the request",
        "Method '{0}' binds to RPC '{1}', but its first parameter '{2}' is a '{3}'; the request {4} must come first, and ServeRequestContext, GrpcContext and CancellationToken parameters after it");

    public static readonly DiagnosticDescriptor DuplicateMultiplexed = Error(
        "SERVE0019",
        "Two [Multiplexed] methods in one deployment",
        "Deployment '{0}' has more than one [Multiplexed] method ('{1}' and '{2}'); a deployment loads one kind of model, so keep one");

    public static readonly DiagnosticDescriptor InvalidMultiplexedLoader = Error(
        "SERVE0020",
        "Invalid [Multiplexed] model loader",
        "[Multiplexed] method '{0}' {1}; a model loader is an instance method like '{2}' (the CancellationToken parameter is optional) returning the model as TModel, Task<TModel> or ValueTask<TModel>");

    public static readonly DiagnosticDescriptor InvalidMaxModelsPerReplica = Error(
        "SERVE0021",
        "MaxModelsPerReplica must be at least 1",
        "[Multiplexed] method '{0}' sets MaxModelsPerReplica = {1}; a replica must keep at least one model");

    public static readonly DiagnosticDescriptor MultiplexedOutsideDeployment = Warning(
        "SERVE0022",
        "[Multiplexed] outside a deployment has no effect",
        "[Multiplexed] method '{0}' is declared in '{1}', which is not a [Deployment] class; the attribute has no effect there and no GetMultiplexedModelAsync is generated");

    public static readonly DiagnosticDescriptor MultiplexedAccessorConflict = Error(
        "SERVE0023",
        "GetMultiplexedModelAsync already exists",
        "Deployment '{0}' has a [Multiplexed] method '{1}', for which Serve generates GetMultiplexedModelAsync, but the class already has {2}; rename that member");

    public static readonly DiagnosticDescriptor InvalidRouteTemplate = Error(
        "SERVE0024",
        "Invalid route template",
        "Route template '{0}' of method '{1}' is invalid: {2}");

    public static readonly DiagnosticDescriptor RouteConflict = Error(
        "SERVE0025",
        "Route conflict",
        "'{0} {1}' on method '{2}' matches the same requests as '{0} {3}' on method '{4}'; change one template or HTTP method");

    public static readonly DiagnosticDescriptor UnbindableParameter = Error(
        "SERVE0026",
        "HTTP parameter cannot be bound",
        "{0} of method '{1}' cannot be bound: {2}");

    public static readonly DiagnosticDescriptor MissingJsonMetadata = Error(
        "SERVE0027",
        "Missing JSON metadata",
        "'{0}' is {1} of method '{2}' and needs System.Text.Json metadata, but {3}");

    public static readonly DiagnosticDescriptor InvalidHttpIngress = Error(
        "SERVE0028",
        "Invalid [HttpIngress] method",
        "[HttpIngress] method '{0}' {1}");

    public static readonly DiagnosticDescriptor InvalidValidationAttribute = Error(
        "SERVE0029",
        "Invalid validation attribute",
        "[{0}] on parameter '{1}' of method '{2}' {3}");

    public static readonly DiagnosticDescriptor UnsupportedHttpMethod = Error(
        "SERVE0030",
        "Unsupported HTTP method",
        "Method '{0}' cannot serve HTTP: {1}");

    public static readonly DiagnosticDescriptor HandleOfNonDeployment = Error(
        "SERVE0031",
        "Handle to a class that is not a deployment",
        "Constructor parameter '{0}' is a DeploymentHandle<{1}>, but '{1}' is not a [Deployment] class; a handle calls a deployment, so bind a deployment class (DeploymentHandle<MyDeployment>, bound with MyDeployment.Bind(...))");

    public static readonly DiagnosticDescriptor HandleCycle = Error(
        "SERVE0032",
        "Deployment handles form a cycle",
        "Deployment '{0}' reaches itself through the deployment handles its constructor takes ({1}); an application graph must be acyclic, since a deployment is bound after the deployments it takes handles to");

    public static readonly DiagnosticDescriptor HandleMemberConflict = Warning(
        "SERVE0033",
        "Method cannot be called through a handle",
        "Method '{0}' of deployment '{1}' gets no handle method: DeploymentHandle<T> has a member named '{0}', which would hide it; rename the method to call it through a handle");

    public static readonly DiagnosticDescriptor BoundDeploymentParameter = Error(
        "SERVE0034",
        "Constructor parameter takes a bound deployment",
        "Constructor parameter '{0}' is a '{1}': a bound deployment passed to Bind reaches the replica as a handle, so declare the parameter as DeploymentHandle<TDeployment>");

    public static readonly DiagnosticDescriptor InvalidBatchMethod = Error(
        "SERVE0035",
        "Invalid [Batch] method",
        "[Batch] method '{0}' {1}");

    public static readonly DiagnosticDescriptor InvalidBatchSetting = Error(
        "SERVE0036",
        "Invalid [Batch] setting",
        "[Batch] on method '{0}' sets {1} = {2}; {3}");

    public static readonly DiagnosticDescriptor BatchAboveMaxOngoingRequests = Warning(
        "SERVE0037",
        "max_ongoing_requests is below what a [Batch] method can take",
        "Deployment '{0}' sets MaxOngoingRequests = {1}, below MaxBatchSize ({2}) \u00d7 MaxConcurrentBatches ({3}) = {4} of [Batch] method '{5}': a replica never holds enough calls to fill its batches; raise MaxOngoingRequests to at least {4}");

    public static readonly DiagnosticDescriptor BatchOutsideDeployment = Warning(
        "SERVE0038",
        "[Batch] outside a deployment has no effect",
        "[Batch] method '{0}' is declared in '{1}', which is not a [Deployment] class; the attribute has no effect there and no per-item overload is generated");

    // SERVE0039 is taken: the Serve.Runtime package's MSBuild check (runtime referenced without this generator,
    // src/Serve.Runtime/build/Serve.Runtime.targets).

    // A warning, not an error: deployments of different applications may share a name.
    public static readonly DiagnosticDescriptor DuplicateDeploymentName = Warning(
        "SERVE0040",
        "Two deployments have the same name",
        "Deployment '{0}' is named '{1}', like {2}; bound in one application, one of them is renamed '{1}_1' at run time, so configuration and lookups by name can reach the other; give each a distinct name with [Deployment(Name = \"...\")]");

    public static readonly DiagnosticDescriptor HandleFromServices = Error(
        "SERVE0041",
        "A deployment handle cannot come from services",
        "Constructor parameter '{0}' is a DeploymentHandle<{1}> marked to come from services; a handle is made by the runtime for the deployment bound to it with Bind, so remove the attribute and pass {1}.Bind(...) for it");

    public static readonly DiagnosticDescriptor DuplicateHealthCheck = Error(
        "SERVE0042",
        "A deployment has more than one health check",
        "Deployment '{0}' has more than one health check: '{1}' and '{2}'; Serve calls one, so keep one [HealthCheck] method (or one method named CheckHealth or CheckHealthAsync)");

    public static readonly DiagnosticDescriptor InvalidHealthCheck = Error(
        "SERVE0043",
        "Health check has an unsupported signature",
        "Health check '{0}' {1}; declare it as an instance method taking nothing or a CancellationToken and returning void, Task, ValueTask, bool, Task<bool> or ValueTask<bool>, e.g. {2}");

    // The next generator diagnostic is SERVE0044.

    public static readonly DiagnosticDescriptor GeneratorFailure = Error(
        "SERVE9999",
        "The Serve source generator failed",
        "The Serve source generator failed while {0}: {1}. Please report this bug.");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Index(
        DeploymentNotPartial, UnknownService, MissingMethod, CaseMismatch, WrongRequestType, WrongResponseType,
        WrongStreamingShape, UnsupportedSignature, DuplicateBinding, UnknownRpc,
        InvalidApplicationBuilder, NoUsableConstructor, UnsupportedDeploymentClass, UnreadableDescriptor,
        UnresolvedMessageType, DuplicateService, ContextParameterFirst, DuplicateMultiplexed, InvalidMultiplexedLoader,
        InvalidMaxModelsPerReplica, MultiplexedOutsideDeployment, MultiplexedAccessorConflict,
        InvalidRouteTemplate, RouteConflict, UnbindableParameter, MissingJsonMetadata, InvalidHttpIngress, InvalidValidationAttribute,
        UnsupportedHttpMethod, HandleOfNonDeployment, HandleCycle, HandleMemberConflict, BoundDeploymentParameter,
        InvalidBatchMethod, InvalidBatchSetting, BatchAboveMaxOngoingRequests, BatchOutsideDeployment, DuplicateDeploymentName, HandleFromServices,
        DuplicateHealthCheck, InvalidHealthCheck, GeneratorFailure);

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static Dictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] descriptors)
    {
        var map = new Dictionary<string, DiagnosticDescriptor>();
        foreach (var d in descriptors)
        {
            map.Add(d.Id, d);
        }
        return map;
    }

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static DiagnosticDescriptor Warning(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
}
