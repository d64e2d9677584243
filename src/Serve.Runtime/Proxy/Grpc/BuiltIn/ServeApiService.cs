using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Serve.Control;
using Serve.Protos;
using Serve.Wire;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>
/// Ray Serve's <c>ray.serve.RayServeAPIService</c>: <c>ListApplications</c> (the running applications' names, what
/// the NOT_FOUND messages tell clients to ping) and <c>Healthz</c> ("success"). Both are UNAVAILABLE while the node
/// drains or before the first config is deployed, as in Ray Serve.
/// </summary>
internal sealed class ServeApiService
{
    public const string Name = "ray.serve.RayServeAPIService";
    public const string ListApplicationsPath = "/" + Name + "/ListApplications";
    public const string HealthzPath = "/" + Name + "/Healthz";

    private readonly ServeController _controller;
    private readonly GrpcProxyOptions _options;

    public ServeApiService(ServeController controller, GrpcProxyOptions options)
    {
        _controller = controller;
        _options = options;
    }

    /// <summary>Serves one call of the service's methods (UNIMPLEMENTED for any other).</summary>
    public async Task HandleAsync(HttpContext context, string path, string requestId, CancellationToken cancellationToken)
    {
        var response = context.Response;
        var isList = path == ListApplicationsPath;
        if (!isList && path != HealthzPath)
        {
            await BuiltInCall.WriteErrorAsync(response, BuiltInCall.Unimplemented(path), requestId).ConfigureAwait(false);
            return;
        }

        GrpcRequestMessage message = default;
        try
        {
            // The request messages are empty, but must still be well-formed frames.
            message = await GrpcMessageReader.ReadSingleMessageAsync(
                context.Request.BodyReader, BuiltInCall.ReadOptions(context, _options), cancellationToken).ConfigureAwait(false);
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
        finally
        {
            message.Complete();
        }

        var routes = _controller.Routes;
        if (_controller.IsDraining)
        {
            await BuiltInCall.WriteErrorAsync(response, new Status(StatusCode.Unavailable, "This node is being drained."), requestId).ConfigureAwait(false);
            return;
        }
        if (!routes.Populated)
        {
            await BuiltInCall.WriteErrorAsync(response, new Status(StatusCode.Unavailable, "Route table is not populated yet."), requestId).ConfigureAwait(false);
            return;
        }

        IMessage reply = isList
            ? new ListApplicationsResponse { ApplicationNames = { routes.ApplicationNames } }
            : new HealthzResponse { Message = "success" };
        GrpcMessageWriter.WriteMessage(response.BodyWriter, reply, _options.MaxSendMessageSize);
        BuiltInCall.AppendTrailers(response, Status.DefaultSuccess, requestId);
    }
}
