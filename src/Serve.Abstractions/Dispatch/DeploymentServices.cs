using System.ComponentModel;

namespace Serve.Dispatch;

/// <summary>
/// Resolves a deployment constructor's service parameters (<c>ILogger&lt;T&gt;</c>, <c>IOptions&lt;T&gt;</c>,
/// <c>[FromServices]</c> ones, …) from a replica's services; called by generated factories, which name each type
/// statically, so nothing is found by reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DeploymentServices
{
    /// <summary>A provider with no services: what a deployment created outside a host resolves from.</summary>
    public static IServiceProvider None { get; } = new NoServices();

    /// <summary>The registered <typeparamref name="T"/> for a required parameter; throws naming the deployment class, the parameter and its type when there is none.</summary>
    /// <param name="services">The replica's services.</param>
    /// <param name="deployment">The deployment class, for the message.</param>
    /// <param name="parameter">The constructor parameter, for the message.</param>
    /// <param name="typeDisplay">The parameter's type as the user wrote it, for the message.</param>
    /// <exception cref="MissingDeploymentServiceException">No <typeparamref name="T"/> is registered.</exception>
    public static T Required<T>(IServiceProvider services, string deployment, string parameter, string typeDisplay)
        where T : notnull
        => services.GetService(typeof(T)) is T service ? service : throw Missing(deployment, parameter, typeDisplay, keyDisplay: null);

    /// <summary>The registered <typeparamref name="T"/> for an optional parameter (nullable or with a default), or null.</summary>
    public static T? Optional<T>(IServiceProvider services)
        => services.GetService(typeof(T)) is T service ? service : default;

    /// <summary>The registered <typeparamref name="T"/>, or the parameter's declared default <paramref name="fallback"/>.</summary>
    public static T Optional<T>(IServiceProvider services, T fallback)
        => services.GetService(typeof(T)) is T service ? service : fallback;

    /// <summary>
    /// A keyed service as <c>GetKeyedService</c> returned it (<paramref name="service"/>) for a required parameter; throws
    /// naming the deployment class, the parameter, its type and the key when there was none.
    /// </summary>
    /// <exception cref="MissingDeploymentServiceException"><paramref name="service"/> is not a <typeparamref name="T"/>.</exception>
    public static T RequiredKeyed<T>(object? service, string deployment, string parameter, string typeDisplay, string keyDisplay)
        where T : notnull
        => service is T typed ? typed : throw Missing(deployment, parameter, typeDisplay, keyDisplay);

    /// <summary>A keyed service as <c>GetKeyedService</c> returned it, for an optional parameter, or null.</summary>
    public static T? OptionalKeyed<T>(object? service)
        => service is T typed ? typed : default;

    /// <summary>A keyed service as <c>GetKeyedService</c> returned it, or the parameter's declared default <paramref name="fallback"/>.</summary>
    public static T OptionalKeyed<T>(object? service, T fallback)
        => service is T typed ? typed : fallback;

    private static MissingDeploymentServiceException Missing(string deployment, string parameter, string typeDisplay, string? keyDisplay)
        => new($"'{deployment}' cannot be constructed: no service of type '{typeDisplay}'"
            + (keyDisplay is null or "null" ? "" : $" with key {keyDisplay}")
            + $" is registered for its constructor parameter '{parameter}'. Register it in the host's services (builder.Services with AddServe, "
            + "configureServices with ServeCommandLine.RunAsync, the provider given to LocalTestingMode.RunAsync), or give the parameter a default value to make it optional.");

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>
/// A deployment's constructor takes a service the host has not registered. The message names the deployment, the
/// parameter and its type; the runtime reports it as the deployment's DEPLOY_FAILED message.
/// </summary>
public sealed class MissingDeploymentServiceException : InvalidOperationException
{
    /// <summary>Creates the exception with its message.</summary>
    public MissingDeploymentServiceException(string message)
        : base(message)
    {
    }
}
