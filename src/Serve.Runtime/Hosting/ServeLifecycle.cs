using Microsoft.Extensions.Hosting;
using Serve.Config;
using Serve.Control;

namespace Serve.Hosting;

/// <summary>
/// Serve's part of the host's lifetime, wherever the host came from (<c>serve run</c> or a user's own
/// <c>WebApplication</c> with <c>AddServe</c>): the config's applications are deployed before the server starts
/// listening (a config naming deployments that do not exist fails the start), health turns NOT_SERVING as the host
/// begins to stop, and replicas are stopped only after the server drained its running requests.
/// </summary>
internal sealed class ServeLifecycle : IHostedLifecycleService
{
    private readonly ServeController _controller;
    private readonly ServeConfig _config;

    public ServeLifecycle(ServeController controller, ServeConfig config)
    {
        _controller = controller;
        _config = config;
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => _controller.ApplyAsync(_config, cancellationToken);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _controller.BeginDrain();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    /// <remarks>After every hosted service stopped, the web server included: no request is still running here.</remarks>
    public Task StoppedAsync(CancellationToken cancellationToken)
        => _controller.StopAsync(ServeHost.DefaultGracefulShutdownTimeout, cancellationToken);
}
