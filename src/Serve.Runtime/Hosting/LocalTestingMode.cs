using Serve.Control;

namespace Serve.Hosting;

/// <summary>
/// Runs an application in this process without proxies, for tests: Ray Serve's
/// <c>serve.run(app, _local_testing_mode=True)</c>. The application's graph is deployed as a served
/// one is (every bound deployment, its options, routers and replicas), and the test calls the ingress
/// through a <see cref="DeploymentHandle{TDeployment}"/>. No port is opened.
/// </summary>
/// <example><code>
/// await using var app = await LocalTestingMode.RunAsync(Ingress.Bind(Model.Bind()));
/// var answer = await app.Handle.Predict(input);
/// </code></example>
public static class LocalTestingMode
{
    /// <summary>
    /// Deploys <paramref name="app"/> and every deployment bound into it, children first, and returns a
    /// handle to its ingress. Options set in the <see cref="DeploymentAttribute"/> and with
    /// <see cref="Application.WithOptions"/> apply (<c>num_replicas</c>, <c>max_ongoing_requests</c>,
    /// <c>max_queued_requests</c>, <c>user_config</c>: each replica's
    /// <see cref="IReconfigurable.ReconfigureAsync"/> runs before it takes a call); deployments with the
    /// same name are renamed <c>Name_1</c>, <c>Name_2</c>, … as in a served application.
    /// </summary>
    /// <param name="app">The ingress, bound with its generated <c>Bind</c> method.</param>
    /// <param name="name">The application's name, as request contexts report it.</param>
    /// <param name="services">What deployment constructors resolve their service parameters (<c>ILogger&lt;T&gt;</c>,
    /// <c>IOptions&lt;T&gt;</c>, <c>[FromServices]</c> ones) from, one scope per replica; null gives logging without
    /// providers, options, <see cref="TimeProvider.System"/> and <c>IHttpClientFactory</c>.</param>
    /// <param name="cancellationToken">Cancels a replica's ReconfigureAsync; the replicas started are stopped.</param>
    /// <typeparam name="TDeployment">The ingress deployment's class.</typeparam>
    /// <returns>The running application; dispose it to stop its replicas.</returns>
    /// <exception cref="InvalidOperationException">The graph has a cycle, a service a constructor takes is not registered, a replica's constructor or ReconfigureAsync
    /// threw, or a deployment with a user_config does not implement <see cref="IReconfigurable"/> (replicas
    /// already started are stopped).</exception>
    public static async Task<LocalApplication<TDeployment>> RunAsync<TDeployment>(Application<TDeployment> app, string name = "default", IServiceProvider? services = null, CancellationToken cancellationToken = default)
        where TDeployment : class
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var deployments = await ApplicationGraph.Build(app).StartAsync(name, [], services ?? Replicas.DeploymentServiceDefaults.Provider, cancellationToken).ConfigureAwait(false);
        return new LocalApplication<TDeployment>(name, deployments);
    }

    /// <inheritdoc cref="RunAsync{TDeployment}(Application{TDeployment}, string, IServiceProvider?, CancellationToken)"/>
    public static Task<LocalApplication<TDeployment>> RunAsync<TDeployment>(Application<TDeployment> app, string name, CancellationToken cancellationToken)
        where TDeployment : class
        => RunAsync(app, name, services: null, cancellationToken);
}

/// <summary>
/// An application running in local testing mode (see <see cref="LocalTestingMode.RunAsync{TDeployment}(Application{TDeployment}, string, IServiceProvider?, CancellationToken)"/>).
/// Disposing it stops every replica, the ingress first, after the calls running on them finish.
/// </summary>
/// <typeparam name="TDeployment">The ingress deployment's class.</typeparam>
public sealed class LocalApplication<TDeployment> : IAsyncDisposable
    where TDeployment : class
{
    private readonly IReadOnlyList<DeploymentState> _deployments;
    private int _disposed;

    internal LocalApplication(string name, IReadOnlyList<DeploymentState> deployments)
    {
        Name = name;
        _deployments = deployments;
        var names = new string[deployments.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = deployments[i].Name;
        }
        DeploymentNames = names;
        Handle = new DeploymentHandle<TDeployment>(deployments[^1].HandleTarget);
    }

    /// <summary>The application's name.</summary>
    public string Name { get; }

    /// <summary>A handle to the ingress deployment; calls go through its router like proxy traffic.</summary>
    public DeploymentHandle<TDeployment> Handle { get; }

    /// <summary>
    /// The names of the application's deployments in the order they started: children before parents,
    /// the ingress last.
    /// </summary>
    public IReadOnlyList<string> DeploymentNames { get; }

    /// <summary>The deployments' routers and replicas, for tests of the runtime itself.</summary>
    internal IReadOnlyList<DeploymentState> Deployments => _deployments;

    /// <summary>
    /// Stops the replicas, the ingress first and children after their parents, waiting up to
    /// <see cref="ServeHost.DefaultGracefulShutdownTimeout"/> for running calls, then disposes the
    /// deployment instances that are <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await ApplicationGraph.StopAsync(_deployments, CancellationToken.None, ServeHost.DefaultGracefulShutdownTimeout).ConfigureAwait(false);
        }
    }
}
