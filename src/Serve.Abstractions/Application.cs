using Serve.Dispatch;

namespace Serve;

/// <summary>
/// A deployment bound to its constructor arguments: what Ray Serve's <c>Deployment.bind()</c>
/// returns. Serve deploys an application by creating replicas of its ingress deployment.
/// Create one with the generated <c>MyDeployment.Bind(...)</c>.
/// </summary>
public sealed class Application
{
    private readonly object?[] _arguments;

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

    /// <summary>The constructor arguments each replica is created with.</summary>
    public IReadOnlyList<object?> Arguments => _arguments;

    /// <summary>The deployment's name after options: the bound name, else the attribute's.</summary>
    public string Name => Options.Name ?? Deployment.Name;

    /// <summary>
    /// Returns this application with options overridden in code, like Ray's
    /// <c>Deployment.options(...)</c>. A config file's <c>deployments</c> entry still wins.
    /// </summary>
    public Application WithOptions(string? name = null, int? numReplicas = null, int? maxOngoingRequests = null, int? maxQueuedRequests = null)
        => new(Deployment, _arguments, Options.Merge(new DeploymentOptions
        {
            Name = name,
            NumReplicas = numReplicas,
            MaxOngoingRequests = maxOngoingRequests,
            MaxQueuedRequests = maxQueuedRequests,
        }));

    /// <summary>Creates one replica instance; called by the runtime for every replica it starts.</summary>
    public object CreateInstance() => Deployment.Factory(_arguments);
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
