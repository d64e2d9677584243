namespace Serve.Generators.Model;

/// <summary>A type that contains a nested deployment class, outermost first.</summary>
/// <param name="Keyword">The declaration keyword(s): <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c>, <c>interface</c>.</param>
/// <param name="Name">The type's name.</param>
internal sealed record ContainingTypeInfo(string Keyword, string Name, bool IsPartial);

/// <summary>A constructor parameter of a deployment.</summary>
/// <param name="Name">The parameter name, escaped when it is a keyword.</param>
/// <param name="Type">The <c>global::</c>-qualified type, with nullable annotations.</param>
/// <param name="HandleTarget">For a <c>DeploymentHandle&lt;X&gt;</c> parameter (a child deployment): <c>X</c>, <c>global::</c>-qualified; else empty.</param>
/// <param name="Service">For a parameter resolved from the replica's services instead of bound: how; else null.</param>
internal sealed record ParameterInfo(string Name, string Type, string HandleTarget, ServiceParameterInfo? Service = null)
{
    public bool IsHandle => HandleTarget.Length > 0;

    /// <summary>Passed to <c>Bind</c> (a value or a bound deployment), not resolved from services.</summary>
    public bool IsBound => Service is null;
}

/// <summary>
/// How a constructor parameter comes from the replica's services: its type is one a host always has
/// (<c>ILogger&lt;T&gt;</c>, <c>IOptions&lt;T&gt;</c>, <c>TimeProvider</c>, …) or it is marked <c>[FromServices]</c> /
/// <c>[FromKeyedServices(key)]</c>.
/// </summary>
/// <param name="TypeDisplay">The type as the user wrote it, for the missing-service message.</param>
/// <param name="TypeWithoutAnnotation">The <c>global::</c>-qualified type without a nullable annotation (for <c>typeof</c>).</param>
/// <param name="Key">The key as a C# expression for a keyed service; null otherwise.</param>
/// <param name="KeyDisplay">The key as the user would write it, for the missing-service message.</param>
/// <param name="IsOptional">Nullable or with a default value: missing, it gets <paramref name="Fallback"/> instead of failing.</param>
/// <param name="Fallback">The declared default value as C# (<c>3</c>, <c>(global::Ns.Slot)(2)</c>); null for <c>default</c>.</param>
/// <param name="LoggerCategory">For a non-generic <c>ILogger</c>: the category of the logger made from <c>ILoggerFactory</c>
/// (the deployment class, as <c>ILogger&lt;T&gt;</c> would name it); null otherwise.</param>
internal sealed record ServiceParameterInfo(string TypeDisplay, string TypeWithoutAnnotation, string? Key, string? KeyDisplay, bool IsOptional,
    string? Fallback = null, string? LoggerCategory = null);

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
/// <param name="AnnotatedType">The return type, <c>global::</c>-qualified with nullable annotations; empty for void.</param>
/// <param name="AnnotatedElementType"><see cref="ElementType"/> with nullable annotations.</param>
/// <param name="CanBeTypeArgument">False for pointers and ref structs, which a handle cannot return.</param>
internal sealed record ReturnInfo(ReturnKind Kind, string ElementType, string Display, bool IsExactInterface, string AnnotatedType, string AnnotatedElementType, bool CanBeTypeArgument);

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
/// <param name="AnnotatedType"><see cref="Type"/> with nullable annotations.</param>
/// <param name="DefaultValue">The default value as a C# expression of the parameter's type; null when the parameter is not optional.</param>
/// <param name="CanBeTypeArgument">False for pointers and ref structs, which a handle cannot pass.</param>
internal sealed record MethodParameterInfo(
    string Name,
    string Type,
    string Display,
    ParameterKind Kind,
    bool IsByRef,
    LocationInfo? Location,
    string AsyncStreamElement,
    string AnnotatedType,
    string? DefaultValue,
    bool CanBeTypeArgument);

/// <summary>A member of a deployment (or its base types) whose name a generated member would take.</summary>
/// <param name="Display">The member for humans.</param>
internal sealed record MemberConflict(string Display, LocationInfo? Location);

/// <summary>A method of a deployment class (or, for handles, of a base class).</summary>
/// <param name="RpcName">The <c>[GrpcMethod]</c> name, or null without the attribute.</param>
/// <param name="IsPublic">True for public methods: only those can be called through a handle.</param>
/// <param name="OverridesObjectMember">True for overrides of <c>object</c>'s methods (ToString, Equals, GetHashCode).</param>
/// <param name="Cref">The method as a <c>cref</c> (<c>global::Ns.C.M(int)</c>); empty when it cannot be written as one.</param>
/// <param name="ObsoleteMessage">The <c>[Obsolete]</c> message (empty without one); null when the method is not obsolete.</param>
/// <param name="IsLifecycleHook">True for Dispose, DisposeAsync, <c>IReconfigurable.ReconfigureAsync</c> and a health check (a
/// <c>[HealthCheck]</c> method, or <c>CheckHealth</c>/<c>CheckHealthAsync</c> taking nothing or a token): the runtime calls those, not handles.</param>
/// <param name="HasHealthCheckAttribute">True when the method is marked <c>[HealthCheck]</c>.</param>
/// <param name="Signature">The method as declared, for messages: name and parameter types (<c>Get(ImageData, CancellationToken)</c>).</param>
/// <param name="Batch">The <c>[Batch]</c> attribute and signature; null without one. For a valid batched method
/// <see cref="Parameters"/>, <see cref="Return"/> and <see cref="Http"/> describe the per-item overload
/// (<c>ValueTask&lt;TOut&gt; M(TIn item, CancellationToken cancellationToken)</c>) that everything else calls.</param>
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
    HttpMethodInfo? Http,
    bool IsPublic,
    bool OverridesObjectMember,
    string Cref,
    string? ObsoleteMessage,
    bool IsLifecycleHook,
    BatchInfo? Batch,
    string Signature,
    bool HasHealthCheckAttribute = false);

/// <summary>A <c>[Deployment]</c> class read from symbols, before it is checked against the protos.</summary>
/// <param name="Namespace">The containing namespace, empty for the global namespace.</param>
/// <param name="FullTypeName">The full name with '.' between namespaces and nested types (<c>Ns.Outer.Class</c>).</param>
/// <param name="GlobalTypeName">The <c>global::</c>-qualified name.</param>
/// <param name="Keyword">The declaration keyword (<c>class</c> or <c>record</c>).</param>
/// <param name="IsAccessible">False when the class or a containing type is private or protected.</param>
/// <param name="Constructor">The constructor Bind uses (null when none is public).</param>
/// <param name="IsPublic">True when the class and every type containing it are public.</param>
/// <param name="Methods">The methods the class declares.</param>
/// <param name="InheritedMethods">Public methods of base classes (other than <c>object</c>) that the class neither overrides nor hides; read for handles only.</param>
/// <param name="HandleParameters">The constructor's <c>DeploymentHandle&lt;X&gt;</c> parameters.</param>
/// <param name="ApplicationParameters">Constructor parameters typed <c>Serve.Application</c> (or a subclass): they would receive a handle.</param>
/// <param name="PublicConstructors">The public constructors as declared, for messages (<c>C(int)</c>); the implicit one is <c>C()</c>.</param>
/// <param name="NameLocation">The <c>Name = "..."</c> argument of <c>[Deployment]</c>; null when the class name is the deployment name.</param>
/// <param name="ByRefParameter">A constructor parameter passed by <c>ref</c>/<c>out</c>, which no factory can pass; null when none.</param>
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
    EquatableArray<string> PublicConstructors,
    EquatableArray<ServiceReference> Services,
    EquatableArray<DeploymentMethodInfo> Methods,
    MemberConflict? MultiplexedAccessorConflict,
    JsonContextInfo? JsonContext,
    EquatableArray<SchemaComponent> SchemaComponents,
    bool IsPublic,
    EquatableArray<DeploymentMethodInfo> InheritedMethods,
    EquatableArray<HandleParameterInfo> HandleParameters,
    EquatableArray<ApplicationParameterInfo> ApplicationParameters,
    LocationInfo? NameLocation,
    string? ByRefParameter = null);

/// <summary>What the emitter writes for one deployment.</summary>
/// <param name="Handles">The typed handle methods; null when the class is not accessible or has no method a handle can call.</param>
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
    HttpDeploymentModel? Http,
    HandleExtensionsModel? Handles,
    EquatableArray<BatchModel> Batches,
    HealthCheckModel? HealthCheck = null);

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
/// <param name="Helpers">What the generated code of the compilation's deployments shares, emitted once beside the registry.</param>
internal sealed record RegistryModel(
    string AssemblyName,
    EquatableArray<string> Deployments,
    EquatableArray<ApplicationBuilderRegistration> Builders,
    EquatableArray<string> FileDescriptors,
    SharedHelpersModel Helpers)
{
    public bool HasRegistrations => Deployments.Count > 0 || Builders.Count > 0 || FileDescriptors.Count > 0;
}

internal sealed record ApplicationBuilderRegistration(string ImportPath, string Expression);

/// <summary>A deployment's name (<c>[Deployment(Name = ...)]</c> or the class name) and its class, to find names used twice.</summary>
/// <param name="FullTypeName">The class's full name (<c>Ns.Outer.Class</c>).</param>
internal sealed record DeploymentNameInfo(string Name, string FullTypeName);

/// <summary>
/// The helpers the generated code of a deployment, or of the whole compilation, calls in the compilation's shared
/// helper class instead of writing them out in every deployment.
/// </summary>
internal sealed record SharedHelpersModel(EquatableArray<HandleCallHelper> HandleCalls, EquatableArray<HttpHelper> Http)
{
    public static readonly SharedHelpersModel None = new(EquatableArray<HandleCallHelper>.Empty, EquatableArray<HttpHelper>.Empty);

    public bool IsEmpty => HandleCalls.IsEmpty && Http.IsEmpty;
}
