namespace Serve.Generators.Model;

/// <summary>A type that contains a nested deployment class, outermost first.</summary>
/// <param name="Keyword">The declaration keyword(s): <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c>, <c>interface</c>.</param>
/// <param name="Name">The type's name.</param>
internal sealed record ContainingTypeInfo(string Keyword, string Name, bool IsPartial);

/// <summary>A constructor parameter of a deployment.</summary>
/// <param name="Name">The parameter name, escaped when it is a keyword.</param>
/// <param name="Type">The <c>global::</c>-qualified type, with nullable annotations.</param>
internal sealed record ParameterInfo(string Name, string Type);

/// <summary>A <c>[GrpcService]</c> attribute of a deployment.</summary>
internal sealed record ServiceReference(string Name, LocationInfo? Location);

/// <summary>How a deployment method's return type is shaped.</summary>
internal enum ReturnKind
{
    /// <summary>Any other type (a message when it is one): <see cref="ReturnInfo.ElementType"/> is the type itself.</summary>
    Value,
    Task,
    ValueTask,
    Enumerable,
    AsyncEnumerable,
    Void,
    NonGenericTask,
    NonGenericValueTask,
}

/// <param name="ElementType">The <c>global::</c>-qualified message type (the type argument of a task or stream).</param>
/// <param name="Display">The return type as written for humans.</param>
/// <param name="IsExactInterface">For streams: true when the return type is the stream interface itself (no cast needed).</param>
internal sealed record ReturnInfo(ReturnKind Kind, string ElementType, string Display, bool IsExactInterface);

/// <summary>What a deployment method parameter is.</summary>
internal enum ParameterKind
{
    Other,
    Context,
    CancellationToken,
    GrpcContext,
}

/// <param name="Type">The <c>global::</c>-qualified type.</param>
/// <param name="Display">The type for humans.</param>
/// <param name="AsyncStreamElement">When the type is exactly <c>IAsyncEnumerable&lt;T&gt;</c>: <c>T</c>, <c>global::</c>-qualified; else empty.</param>
internal sealed record MethodParameterInfo(string Name, string Type, string Display, ParameterKind Kind, bool IsByRef, LocationInfo? Location, string AsyncStreamElement);

/// <summary>How a <c>[Multiplexed]</c> model loader returns its model.</summary>
internal enum LoaderReturnKind
{
    /// <summary>void, a non-generic Task/ValueTask, or a by-ref return: not a loader.</summary>
    Invalid,
    Value,
    Task,
    ValueTask,
}

/// <summary>The <c>[Multiplexed]</c> attribute of a deployment method and what its return type says about the model.</summary>
/// <param name="MaxModelsPerReplica">The attribute's <c>MaxModelsPerReplica</c> (its default when not set).</param>
/// <param name="MaxModelsLocation">The <c>MaxModelsPerReplica = n</c> argument, or the attribute.</param>
/// <param name="ModelType">The <c>global::</c>-qualified model type with nullable annotations; empty when <see cref="ReturnKind"/> is Invalid.</param>
/// <param name="ModelDisplay">The model type for humans.</param>
internal sealed record MultiplexedInfo(int MaxModelsPerReplica, LocationInfo? MaxModelsLocation, LoaderReturnKind ReturnKind, string ModelType, string ModelDisplay);

/// <summary>A member of a deployment (or its base types) whose name a generated member would take.</summary>
/// <param name="Display">The member for humans.</param>
internal sealed record MemberConflict(string Display, LocationInfo? Location);

/// <summary>A method of a deployment class, as far as gRPC binding is concerned.</summary>
/// <param name="RpcName">The <c>[GrpcMethod]</c> name, or null without the attribute.</param>
internal sealed record DeploymentMethodInfo(
    string Name,
    string? RpcName,
    LocationInfo? RpcNameLocation,
    LocationInfo? Location,
    LocationInfo? ReturnTypeLocation,
    bool IsStatic,
    bool IsGeneric,
    bool IsAccessible,
    ReturnInfo Return,
    EquatableArray<MethodParameterInfo> Parameters,
    MultiplexedInfo? Multiplexed,
    HttpMethodInfo? Http);

/// <summary>A <c>[Deployment]</c> class read from symbols, before it is checked against the protos.</summary>
/// <param name="Namespace">The containing namespace, empty for the global namespace.</param>
/// <param name="FullTypeName">The full name with '.' between namespaces and nested types (<c>Ns.Outer.Class</c>).</param>
/// <param name="GlobalTypeName">The <c>global::</c>-qualified name.</param>
/// <param name="Keyword">The declaration keyword (<c>class</c> or <c>record</c>).</param>
/// <param name="IsAccessible">False when the class or a containing type is private or protected.</param>
/// <param name="Constructor">The constructor Bind uses (null when none is public).</param>
internal sealed record DeploymentInfo(
    string Namespace,
    string ClassName,
    string FullTypeName,
    string GlobalTypeName,
    string Keyword,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    bool IsPartial,
    bool IsGeneric,
    bool IsAbstract,
    bool IsStatic,
    bool IsAccessible,
    LocationInfo? Location,
    string DeploymentName,
    bool HasExplicitName,
    int? NumReplicas,
    int? MaxOngoingRequests,
    int? MaxQueuedRequests,
    EquatableArray<ParameterInfo>? Constructor,
    int PublicConstructorCount,
    EquatableArray<ServiceReference> Services,
    EquatableArray<DeploymentMethodInfo> Methods,
    MemberConflict? MultiplexedAccessorConflict,
    JsonContextInfo? JsonContext,
    EquatableArray<SchemaComponent> SchemaComponents);

/// <summary>How the generated invoker passes one argument to the user method.</summary>
internal enum ArgumentKind
{
    /// <summary>The request message, or for client-streaming and duplex RPCs the request stream.</summary>
    Request,
    Context,
    CancellationToken,
    GrpcContext,
}

/// <summary>One generated gRPC invoker: parse, call, write.</summary>
internal sealed record InvokerModel(
    string InvokerName,
    string ServiceName,
    string RpcName,
    RpcKind Kind,
    string RequestType,
    string RequestClrType,
    string ResponseType,
    string ResponseClrType,
    string MethodName,
    EquatableArray<ArgumentKind> Arguments,
    ReturnKind ReturnKind,
    bool NeedsStreamCast);

/// <summary>What the emitter writes for one deployment.</summary>
/// <param name="Constructor">Bind's parameters; null when there is no usable constructor (the factory then throws).</param>
/// <param name="IsRegistrable">True when the module registry can name the class (it is accessible).</param>
internal sealed record DeploymentModel(
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string Keyword,
    string ClassName,
    string FullTypeName,
    string GlobalTypeName,
    string DeploymentName,
    bool HasExplicitName,
    int? NumReplicas,
    int? MaxOngoingRequests,
    int? MaxQueuedRequests,
    EquatableArray<ParameterInfo>? Constructor,
    EquatableArray<string> Services,
    EquatableArray<InvokerModel> Invokers,
    bool IsRegistrable,
    MultiplexedModel? Multiplexed,
    HttpDeploymentModel? Http);

/// <summary>The model cache and <c>GetMultiplexedModelAsync</c> accessors of a deployment with a <c>[Multiplexed]</c> loader.</summary>
/// <param name="ModelType">The <c>global::</c>-qualified model type.</param>
/// <param name="LoaderName">The loader method's name (escaped).</param>
/// <param name="LoaderKind">How the loader returns the model.</param>
/// <param name="LoaderTakesCancellationToken">True for <c>(string, CancellationToken)</c> loaders.</param>
/// <param name="IsValid">False when the loader's signature is wrong (reported): the accessors are still emitted so that
/// the user's calls compile, but the cache cannot load.</param>
internal sealed record MultiplexedModel(string ModelType, int MaxModelsPerReplica, string LoaderName, LoaderReturnKind LoaderKind, bool LoaderTakesCancellationToken, bool IsValid);

/// <summary>The result of checking one deployment against the protos: what to emit, and what to report.</summary>
internal sealed record DeploymentResult(DeploymentModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>An <c>[ApplicationBuilder]</c> member.</summary>
/// <param name="ImportPath"><c>Namespace.Type:Member</c>.</param>
/// <param name="Expression">The C# expression building the application, using <c>args</c>; empty when invalid.</param>
internal sealed record ApplicationBuilderModel(string ImportPath, string Expression, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool IsValid => Expression.Length > 0;
}

/// <summary>What the module registry registers.</summary>
/// <param name="FileDescriptors">The <c>global::</c>-qualified protoc <c>*Reflection</c> classes whose <c>Descriptor</c> is registered.</param>
internal sealed record RegistryModel(string AssemblyName, EquatableArray<string> Deployments, EquatableArray<ApplicationBuilderRegistration> Builders, EquatableArray<string> FileDescriptors);

internal sealed record ApplicationBuilderRegistration(string ImportPath, string Expression);
