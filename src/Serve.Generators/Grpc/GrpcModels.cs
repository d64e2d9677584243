namespace Serve.Generators.Model;

/// <summary>A <c>[GrpcService]</c> attribute of a deployment.</summary>
internal sealed record ServiceReference(string Name, LocationInfo? Location);

/// <summary>How the generated invoker passes one argument to the user method.</summary>
internal enum ArgumentKind
{
    /// <summary>The request message, or for client-streaming and duplex RPCs the request stream.</summary>
    Request,
    Context,
    CancellationToken,
    GrpcContext,
}

/// <summary>One generated gRPC invoker: parse, call, write.</summary>
internal sealed record InvokerModel(
    string ServiceName,
    string RpcName,
    RpcKind Kind,
    string RequestType,
    string RequestClrType,
    string ResponseType,
    string ResponseClrType,
    string MethodName,
    EquatableArray<ArgumentKind> Arguments,
    ReturnKind ReturnKind,
    bool NeedsStreamCast);
