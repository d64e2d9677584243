using System.ComponentModel;
using Serve.Dispatch;

namespace Serve;

/// <summary>
/// A deployment bound to its constructor arguments: what Ray Serve's <c>Deployment.bind()</c>
/// returns. The bound deployment is the ingress of an application graph: constructor arguments
/// that are themselves bound deployments (<see cref="Application{TDeployment}"/>) become further
/// deployments of the same application, and each replica receives a
/// <see cref="DeploymentHandle{TDeployment}"/> to them in their place.
/// Create one with the generated <c>MyDeployment.Bind(...)</c>.
/// </summary>
public class Application
{
    private readonly object?[] _arguments;

    private protected object?[] ArgumentsArray => _arguments;

    /// <summary>Binds a deployment; called by generated code.</summary>
    public Application(DeploymentDefinition deployment, object?[] arguments, DeploymentOptions? options = null)
    {
        Deployment = deployment ?? throw new ArgumentNullException(nameof(deployment));
        _arguments = arguments ?? throw new ArgumentNullException(nameof(arguments));
        Options = options ?? new DeploymentOptions();
    }

    /// <summary>The bound deployment.</summary>
    public DeploymentDefinition Deployment { get; }

    /// <summary>Options set in code with <see cref="WithOptions"/>, applied over the attribute's.</summary>
    public DeploymentOptions Options { get; }

    /// <summary>
    /// The constructor arguments each replica is created with. An argument that is an
    /// <see cref="Application"/> is a child deployment: the runtime passes a handle to it instead.
    /// </summary>
    public IReadOnlyList<object?> Arguments => _arguments;

    /// <summary>
    /// The bound deployments among the constructor arguments, in argument order, including those inside
    /// graph arguments (<see cref="IDeploymentGraphArgument"/>, e.g. a <see cref="Dag{TInput, TOutput}"/>).
    /// </summary>
    public IEnumerable<Application> Children
    {
        get
        {
            foreach (var argument in _arguments)
            {
                switch (argument)
                {
                    case Application child:
                        yield return child;
                        break;
                    case IDeploymentGraphArgument graph:
                        foreach (var deployment in graph.Deployments)
                        {
                            yield return deployment;
                        }
                        break;
                }
            }
        }
    }

    /// <summary>The deployment's name after options: the bound name, else the attribute's.</summary>
    public string Name => Options.Name ?? Deployment.Name;

    /// <summary>
    /// Returns this application with options overridden in code, like Ray's
    /// <c>Deployment.options(...)</c>. A config file's <c>deployments</c> entry still wins.
    /// </summary>
    /// <param name="name">The deployment's name in its application (config entries name it).</param>
    /// <param name="numReplicas">How many replicas to run.</param>
    /// <param name="maxOngoingRequests">Requests one replica runs at once.</param>
    /// <param name="maxQueuedRequests">Requests that may wait for a replica; -1 means unbounded.</param>
    /// <param name="userConfig">The <c>user_config</c> as JSON text, for an <see cref="IReconfigurable"/> deployment.</param>
    public Application WithOptions(string? name = null, int? numReplicas = null, int? maxOngoingRequests = null, int? maxQueuedRequests = null, string? userConfig = null)
        => WithOptionsCore(Options.Merge(new DeploymentOptions
        {
            Name = name,
            NumReplicas = numReplicas,
            MaxOngoingRequests = maxOngoingRequests,
            MaxQueuedRequests = maxQueuedRequests,
            UserConfig = userConfig is null ? null : CheckJson(userConfig),
        }));

    private static string CheckJson(string json)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ArgumentException($"userConfig must be JSON text: {ex.Message}", nameof(json), ex);
        }
        return json;
    }

    /// <summary>This bound deployment with <paramref name="options"/>, keeping its type.</summary>
    private protected virtual Application WithOptionsCore(DeploymentOptions options) => new(Deployment, _arguments, options);

    /// <summary>
    /// Creates one replica instance, passing <paramref name="resolveChild"/>'s result (the child
    /// deployment's handle) for every argument that is a bound deployment, and resolving the constructor's
    /// service parameters from <paramref name="services"/>. Called by the runtime for every replica it starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">A service the constructor needs is not registered; the message names
    /// the deployment, the parameter and its type.</exception>
    public object CreateInstance(Func<Application, object> resolveChild, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(resolveChild);
        ArgumentNullException.ThrowIfNull(services);
        var arguments = _arguments;
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i] is Application or IDeploymentGraphArgument)
            {
                if (ReferenceEquals(arguments, _arguments))
                {
                    // A fresh object?[]: the bound array may be covariant (e.g. an Application[]), which would refuse handles.
                    arguments = new object?[_arguments.Length];
                    Array.Copy(_arguments, arguments, _arguments.Length);
                }
                arguments[i] = arguments[i] is Application child ? resolveChild(child) : ((IDeploymentGraphArgument)arguments[i]!).BindHandles(resolveChild);
            }
        }
        return Deployment.Factory(arguments, services);
    }

    /// <summary>
    /// Creates one replica instance with handles from <paramref name="resolveChild"/> and no services (a deployment whose
    /// constructor takes a required service fails).
    /// </summary>
    public object CreateInstance(Func<Application, object> resolveChild) => CreateInstance(resolveChild, DeploymentServices.None);

    /// <summary>
    /// Creates one replica instance of a deployment without bound-deployment arguments, resolving its service
    /// parameters from <paramref name="services"/> (none when null).
    /// </summary>
    public object CreateInstance(IServiceProvider? services = null) => CreateInstance(static child =>
        throw new InvalidOperationException($"Deployment '{child.Name}' is bound as a constructor argument; it needs the runtime to create its handle."),
        services ?? DeploymentServices.None);

    /// <summary>
    /// Creates a handle to this deployment that sends its calls to <paramref name="target"/>; called by the
    /// runtime for child deployments. Only typed bound deployments (<see cref="Application{TDeployment}"/>,
    /// what generated <c>Bind</c> methods return) can have handles.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public virtual object CreateHandle(Dispatch.HandleTarget target)
        => throw new InvalidOperationException($"Deployment '{Name}' was bound without its type; bind it with its generated Bind method to pass it as a handle.");
}

/// <summary>
/// A bound deployment of class <typeparamref name="TDeployment"/>: what the generated
/// <c>Bind</c> methods return. A constructor parameter of type
/// <see cref="DeploymentHandle{TDeployment}"/> is bound with one of these, so the compiler checks
/// that each handle gets the deployment it expects.
/// </summary>
/// <typeparam name="TDeployment">The deployment class.</typeparam>
public sealed class Application<TDeployment> : Application
    where TDeployment : class
{
    /// <summary>Binds a deployment; called by generated code.</summary>
    public Application(DeploymentDefinition deployment, object?[] arguments, DeploymentOptions? options = null)
        : base(deployment, arguments, options)
    {
    }

    /// <inheritdoc cref="Application.WithOptions"/>
    public new Application<TDeployment> WithOptions(string? name = null, int? numReplicas = null, int? maxOngoingRequests = null, int? maxQueuedRequests = null, string? userConfig = null)
        => (Application<TDeployment>)base.WithOptions(name, numReplicas, maxOngoingRequests, maxQueuedRequests, userConfig);

    private protected override Application WithOptionsCore(DeploymentOptions options) => new Application<TDeployment>(Deployment, (object?[])ArgumentsArray.Clone(), options);

    /// <inheritdoc />
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override object CreateHandle(Dispatch.HandleTarget target) => new DeploymentHandle<TDeployment>(target);
}

/// <summary>The <c>args</c> of an application in the config file, passed to its builder.</summary>
public sealed class ApplicationArgs
{
    /// <summary>No arguments.</summary>
    public static ApplicationArgs Empty { get; } = new(new Dictionary<string, string>());

    private readonly IReadOnlyDictionary<string, string> _values;

    /// <summary>Wraps the config's scalar arguments.</summary>
    public ApplicationArgs(IReadOnlyDictionary<string, string> values) => _values = values;

    /// <summary>All arguments, by name.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The named argument, or <paramref name="defaultValue"/> when it is absent.</summary>
    public string? GetString(string name, string? defaultValue = null)
        => _values.TryGetValue(name, out var value) ? value : defaultValue;
}
