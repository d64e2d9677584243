namespace Serve.Generators.Model;

/// <summary>A constructor parameter of type <c>DeploymentHandle&lt;X&gt;</c>: an edge of the compilation's handle graph.</summary>
/// <param name="Target">X, <c>global::</c>-qualified.</param>
/// <param name="TargetDisplay">X for humans.</param>
/// <param name="TargetIsDeployment">True when X is a <c>[Deployment]</c> class.</param>
/// <param name="MarkedFromServices">Marked <c>[FromServices]</c>/<c>[FromKeyedServices]</c>, which a handle cannot be.</param>
internal sealed record HandleParameterInfo(string Name, string Target, string TargetDisplay, bool TargetIsDeployment, LocationInfo? Location, bool MarkedFromServices = false);

/// <summary>A constructor parameter typed <c>Serve.Application</c> (or a subclass), which would receive a handle.</summary>
/// <param name="TypeDisplay">The parameter's type for humans.</param>
internal sealed record ApplicationParameterInfo(string Name, string TypeDisplay, LocationInfo? Location);

/// <summary>The extension class that gives <c>DeploymentHandle&lt;TDeployment&gt;</c> one method per public method of the deployment.</summary>
/// <param name="ClassName">The extension class's name (<c>{ContainingTypes}{Class}HandleExtensions</c>).</param>
internal sealed record HandleExtensionsModel(string ClassName, bool IsPublic, EquatableArray<HandleMethodModel> Methods);

/// <summary>How a handle method runs its deployment method and what it returns.</summary>
internal enum HandleShape
{
    /// <summary><c>DeploymentResponse&lt;T&gt;</c> through <c>Call</c>.</summary>
    Value,
    /// <summary><c>DeploymentResponse</c> through <c>CallVoid</c>.</summary>
    Void,
    /// <summary><c>DeploymentResponseStream&lt;T&gt;</c> of an <c>IAsyncEnumerable&lt;T&gt;</c>.</summary>
    AsyncStream,
    /// <summary><c>DeploymentResponseStream&lt;T&gt;</c> of an <c>IEnumerable&lt;T&gt;</c>.</summary>
    SyncStream,
}

/// <summary>One generated handle method.</summary>
/// <param name="Name">The method's name, escaped when it is a keyword.</param>
/// <param name="MethodName">The method's name as the runtime reports it.</param>
/// <param name="ReturnKind">How the deployment method returns (decides the wrapping inside the invoke lambda).</param>
/// <param name="ResultType">For values and streams: the result or item type, <c>global::</c>-qualified and annotated.</param>
/// <param name="HandleName">The name of the <c>this</c> parameter (<c>handle</c> unless a user parameter has it).</param>
/// <param name="TokenName">The name of the trailing cancellation token parameter.</param>
/// <param name="CallName">The lambda parameter names, chosen not to clash with user parameters.</param>
/// <param name="ResultNeedsCast">For a stream: true when the method returns a type implementing <c>IAsyncEnumerable&lt;T&gt;</c>,
/// which the shared helper's call converts to the interface.</param>
internal sealed record HandleMethodModel(
    string Name,
    string MethodName,
    string Cref,
    HandleShape Shape,
    ReturnKind ReturnKind,
    string ResultType,
    EquatableArray<HandleArgumentModel> Arguments,
    string HandleName,
    string TokenName,
    string CallName,
    string InstanceName,
    string InvokeTokenName,
    string? ObsoleteMessage,
    bool ResultNeedsCast);

/// <summary>What the handle passes for one parameter of the deployment method.</summary>
internal enum HandleArgumentKind
{
    /// <summary>A <c>DeploymentArg&lt;T&gt;</c> parameter of the handle method, resolved before the call.</summary>
    Value,
    /// <summary>The call's cancellation token on the replica.</summary>
    CancellationToken,
    /// <summary><c>ServeRequestContext.Current</c> on the replica.</summary>
    Context,
}

/// <param name="Name">The handle method's parameter name (escaped); empty for tokens and contexts.</param>
/// <param name="Local">The resolved value's local name.</param>
/// <param name="Type">The deployment method's parameter type, <c>global::</c>-qualified and annotated.</param>
/// <param name="DefaultValue">For an optional parameter: its default as a C# expression; the handle's parameter is then a nullable <c>DeploymentArg&lt;T&gt;</c>.</param>
internal sealed record HandleArgumentModel(HandleArgumentKind Kind, string Name, string Local, string Type, string? DefaultValue);

/// <summary>A deployment in the handle graph: the deployments its constructor takes handles to.</summary>
/// <param name="Dependencies">The <c>global::</c>-qualified deployment classes, in parameter order.</param>
internal sealed record HandleGraphNode(string GlobalTypeName, string FullTypeName, EquatableArray<string> Dependencies, LocationInfo? Location);

/// <summary>How a shared handle call helper runs the deployment method: what the method returns.</summary>
internal enum HandleCallKind
{
    /// <summary>A result (<c>T</c>).</summary>
    Value,
    /// <summary><c>Task&lt;T&gt;</c>.</summary>
    Task,
    /// <summary><c>ValueTask&lt;T&gt;</c>.</summary>
    ValueTask,
    /// <summary>Nothing (<c>void</c>).</summary>
    Void,
    /// <summary><c>Task</c>.</summary>
    VoidTask,
    /// <summary><c>ValueTask</c>.</summary>
    VoidValueTask,
    /// <summary><c>IAsyncEnumerable&lt;T&gt;</c>.</summary>
    Stream,
    /// <summary>An iterator (<c>IEnumerable&lt;T&gt;</c>).</summary>
    SyncStream,
}

/// <summary>A handle call helper of the compilation's shared helper class: one per kind and number of arguments used.</summary>
/// <param name="Arity">How many <c>DeploymentArg&lt;T&gt;</c> arguments it resolves before the call.</param>
internal sealed record HandleCallHelper(HandleCallKind Kind, int Arity);
