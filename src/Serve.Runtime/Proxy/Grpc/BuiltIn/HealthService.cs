using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serve.Control;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>
/// <c>grpc.health.v1.Health</c> (gRPC's health checking protocol), as Kubernetes gRPC probes, Envoy and
/// grpc_health_probe call it. See <see cref="HealthStatus.Evaluate"/> for the answers.
/// </summary>
internal sealed partial class HealthService
{
    public const string CheckPath = "/" + BuiltInServices.Health + "/Check";
    public const string WatchPath = "/" + BuiltInServices.Health + "/Watch";

    /// <summary>How often a Watch looks at the controller's state.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ServeController _controller;
    private readonly GrpcProxyOptions _options;
    private readonly bool _reflectionEnabled;
    private readonly CancellationToken _stopping;
    private readonly ILogger<HealthService> _logger;

    public HealthService(ServeController controller, GrpcProxyOptions options, BuiltInServiceOptions builtIn, IHostApplicationLifetime lifetime, ILogger<HealthService> logger)
    {
        _controller = controller;
        _options = options;
        _reflectionEnabled = builtIn.EnableReflection;
        _stopping = lifetime.ApplicationStopping;
        _logger = logger;
    }

    /// <summary>The status of <paramref name="service"/> now; null when it is unknown.</summary>
    public ServingStatus? Current(string service)
        => HealthStatus.Evaluate(_controller.Routes, _controller.IsDraining, _reflectionEnabled, service);

    public async Task HandleAsync(HttpContext context, string path, string requestId, CancellationToken cancellationToken)
    {
        var response = context.Response;
        var isCheck = path == CheckPath;
        if (!isCheck && path != WatchPath)
        {
            await BuiltInCall.WriteErrorAsync(response, BuiltInCall.Unimplemented(path), requestId).ConfigureAwait(false);
            return;
        }

        HealthCheckRequest request;
        try
        {
            request = await BuiltInCall.ReadSingleAsync(context, _options, HealthCheckRequest.Parser, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            await BuiltInCall.WriteErrorAsync(response, ex.Status, requestId).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (isCheck)
        {
            await CheckAsync(response, request.Service, requestId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WatchAsync(response, request.Service, requestId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(HttpResponse response, string service, string requestId, CancellationToken cancellationToken)
    {
        if (Current(service) is not { } status)
        {
            await BuiltInCall.WriteErrorAsync(response, new Status(StatusCode.NotFound, $"Unknown service '{service}'."), requestId).ConfigureAwait(false);
            return;
        }
        try
        {
            if (await BuiltInCall.WriteAsync(response, new HealthCheckResponse { Status = status }, _options, cancellationToken).ConfigureAwait(false))
            {
                BuiltInCall.AppendTrailers(response, Status.DefaultSuccess, requestId);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left.
        }
    }

    /// <summary>
    /// Sends the status at once, then each change, until the client cancels. When the host stops, sends
    /// NOT_SERVING (if not sent already) and ends with UNAVAILABLE, so that watches never hold up shutdown.
    /// </summary>
    private async Task WatchAsync(HttpResponse response, string service, string requestId, CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        ServingStatus? sent = null;
        try
        {
            while (true)
            {
                var status = Current(service) ?? ServingStatus.ServiceUnknown;
                if (status != sent)
                {
                    if (!await BuiltInCall.WriteAsync(response, new HealthCheckResponse { Status = status }, _options, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                    sent = status;
                    LogWatchUpdate(service, status);
                }
                await Task.Delay(PollInterval, stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The host is stopping (draining, even if the controller has not heard yet).
            var final = Current(service) is null ? ServingStatus.ServiceUnknown : ServingStatus.NotServing;
            try
            {
                if (final == sent || await BuiltInCall.WriteAsync(response, new HealthCheckResponse { Status = final }, _options, cancellationToken).ConfigureAwait(false))
                {
                    BuiltInCall.AppendTrailers(response, new Status(StatusCode.Unavailable, "The server is shutting down."), requestId);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client left meanwhile.
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client cancelled the watch: nothing can reach it any more.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Health watch of '{Service}': {Status}")]
    private partial void LogWatchUpdate(string service, ServingStatus status);
}
