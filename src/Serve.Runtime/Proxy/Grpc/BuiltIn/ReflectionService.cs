using Grpc.Core;
using Grpc.Reflection.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Serve.Control;
using Serve.Dispatch;
using Serve.Wire;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>
/// gRPC server reflection, <c>grpc.reflection.v1alpha.ServerReflection</c> and
/// <c>grpc.reflection.v1.ServerReflection</c>: what grpcurl, Postman and similar tools use to call a server
/// with no local <c>.proto</c> files. UNIMPLEMENTED when <c>grpc_options.enable_reflection</c> is false.
/// </summary>
/// <remarks>
/// The two versions differ only in their package: their messages have the same fields and numbers, so
/// the same bytes are valid for both and this class speaks the <c>v1</c> types on both paths. Files are
/// served from <see cref="ServeRegistry.FileDescriptors"/> plus Serve's own <c>.proto</c> files, indexed once
/// on first use.
/// </remarks>
internal sealed partial class ReflectionService
{
    public const string V1AlphaPath = "/" + BuiltInServices.ReflectionV1Alpha + "/ServerReflectionInfo";
    public const string V1Path = "/" + BuiltInServices.ReflectionV1 + "/ServerReflectionInfo";

    private readonly ServeController _controller;
    private readonly GrpcProxyOptions _options;
    private readonly bool _enabled;
    private readonly ILogger<ReflectionService> _logger;
    private readonly Lazy<SymbolIndex> _index;

    public ReflectionService(ServeController controller, GrpcProxyOptions options, BuiltInServiceOptions builtIn, ILogger<ReflectionService> logger)
    {
        _controller = controller;
        _options = options;
        _enabled = builtIn.EnableReflection;
        _logger = logger;
        _index = new Lazy<SymbolIndex>(() => new SymbolIndex(ServeRegistry.FileDescriptors.Concat(BuiltInServices.OwnDescriptors)));
    }

    public async Task HandleAsync(HttpContext context, string path, string requestId, CancellationToken cancellationToken)
    {
        var response = context.Response;
        if (!_enabled || (path != V1AlphaPath && path != V1Path))
        {
            await BuiltInCall.WriteErrorAsync(response, BuiltInCall.Unimplemented(path), requestId).ConfigureAwait(false);
            return;
        }

        // A reflection stream stays open between a tool's requests: Kestrel's body limits would cut it.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
        {
            maxBody.MaxRequestBodySize = null;
        }
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRate)
        {
            minRate.MinDataRate = null;
        }

        var readOptions = BuiltInCall.ReadOptions(context, _options);
        var reader = context.Request.BodyReader;
        var sent = new HashSet<string>(StringComparer.Ordinal);
        Status status;
        try
        {
            while (true)
            {
                var message = await GrpcMessageReader.TryReadNextMessageAsync(reader, readOptions, cancellationToken).ConfigureAwait(false);
                if (message is not { } received)
                {
                    break;
                }
                ServerReflectionRequest request;
                try
                {
                    request = BuiltInCall.Parse(ServerReflectionRequest.Parser, received);
                }
                finally
                {
                    received.Complete();
                }
                if (!await BuiltInCall.WriteAsync(response, Answer(request, sent), _options, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            status = Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            status = ex.Status;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left.
            return;
        }
        catch (Exception ex)
        {
            LogFailed(requestId, ex);
            status = new Status(StatusCode.Internal, "Server reflection failed: " + ex.Message);
        }

        if (response.HasStarted)
        {
            BuiltInCall.AppendTrailers(response, status, requestId);
        }
        else
        {
            await BuiltInCall.WriteErrorAsync(response, status, requestId).ConfigureAwait(false);
        }
    }

    /// <summary>The answer to one request of a stream; <paramref name="sent"/> holds the files the stream sent.</summary>
    public ServerReflectionResponse Answer(ServerReflectionRequest request, ISet<string> sent)
        => Answer(_index.Value, BuiltInServices.ExposedServices(_controller.Routes, _enabled), request, sent);

    /// <summary>
    /// The answer to <paramref name="request"/>: <c>valid_host</c> and <c>original_request</c> echoed, then the
    /// files, services or extension numbers asked for, or an error response (NOT_FOUND for what is not known);
    /// an error response never ends the stream.
    /// </summary>
    internal static ServerReflectionResponse Answer(SymbolIndex index, IReadOnlyList<string> services, ServerReflectionRequest request, ISet<string> sent)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                var list = new ListServiceResponse();
                foreach (var service in services)
                {
                    list.Service.Add(new ServiceResponse { Name = service });
                }
                response.ListServicesResponse = list;
                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                if (index.TryGetFile(request.FileByFilename, out var byName))
                {
                    response.FileDescriptorResponse = Files(byName, sent);
                }
                else
                {
                    response.ErrorResponse = NotFound($"File '{request.FileByFilename}' not found.");
                }
                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                if (index.TryGetFileContainingSymbol(request.FileContainingSymbol, out var bySymbol))
                {
                    response.FileDescriptorResponse = Files(bySymbol, sent);
                }
                else
                {
                    response.ErrorResponse = NotFound($"Symbol '{request.FileContainingSymbol}' not found.");
                }
                break;

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                var extension = request.FileContainingExtension;
                if (index.TryGetFileContainingExtension(extension.ContainingType, extension.ExtensionNumber, out var byExtension))
                {
                    response.FileDescriptorResponse = Files(byExtension, sent);
                }
                else
                {
                    response.ErrorResponse = NotFound($"Extension {extension.ExtensionNumber} of '{extension.ContainingType}' not found.");
                }
                break;

            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                if (index.TryGetExtensionNumbers(request.AllExtensionNumbersOfType, out var numbers))
                {
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse
                    {
                        BaseTypeName = request.AllExtensionNumbersOfType,
                        ExtensionNumber = { numbers },
                    };
                }
                else
                {
                    response.ErrorResponse = NotFound($"Message type '{request.AllExtensionNumbersOfType}' not found.");
                }
                break;

            default:
                response.ErrorResponse = new ErrorResponse
                {
                    ErrorCode = (int)StatusCode.Unimplemented,
                    ErrorMessage = "The request names no question this server answers.",
                };
                break;
        }
        return response;
    }

    private static FileDescriptorResponse Files(Google.Protobuf.Reflection.FileDescriptor file, ISet<string> sent)
    {
        var files = new FileDescriptorResponse();
        files.FileDescriptorProto.AddRange(SymbolIndex.FileWithDependencies(file, sent));
        return files;
    }

    private static ErrorResponse NotFound(string message) => new() { ErrorCode = (int)StatusCode.NotFound, ErrorMessage = message };

    [LoggerMessage(Level = LogLevel.Error, Message = "Server reflection request_id={RequestId} failed")]
    private partial void LogFailed(string requestId, Exception exception);
}
