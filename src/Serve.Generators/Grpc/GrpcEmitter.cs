using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes a deployment's gRPC dispatch table and its invokers (parse, call, write).</summary>
internal static class GrpcEmitter
{
    /// <summary>The definition's gRPC methods: service, name, shape, message types and invoker of each bound RPC.</summary>
    /// <param name="end">What closes the definition's constructor call (an initializer may follow).</param>
    public static void EmitMethodTable(SourceWriter w, DeploymentModel model, string end)
    {
        if (model.Invokers.Count == 0)
        {
            w.Line("    global::System.Array.Empty<" + CSharp.Dispatch + "GrpcMethodDefinition>()" + end);
            return;
        }
        w.Line("    new " + CSharp.Dispatch + "GrpcMethodDefinition[]");
        w.Line("    {");
        foreach (var invoker in model.Invokers)
        {
            w.Line("        new " + CSharp.Dispatch + "GrpcMethodDefinition(" + CSharp.Literal(invoker.ServiceName) + ", " + CSharp.Literal(invoker.RpcName) + ", "
                + CSharp.Dispatch + "GrpcMethodType." + invoker.Kind + ", " + CSharp.Literal(invoker.RequestType) + ", " + CSharp.Literal(invoker.ResponseType) + ", " + invoker.InvokerName + "),");
        }
        w.Line("    }" + end);
    }

    /// <summary>One invoker: parse the request (or read the request stream), call the method, write the response(s).</summary>
    public static void EmitInvoker(SourceWriter w, DeploymentModel model, InvokerModel invoker)
    {
        var path = "/" + invoker.ServiceName + "/" + invoker.RpcName;
        var streamsRequests = invoker.Kind is RpcKind.ClientStreaming or RpcKind.DuplexStreaming;
        w.Line("/// <summary>Serves <c>" + path + "</c> with <c>" + invoker.MethodName + "</c>.</summary>");
        w.Open("private static global::System.Threading.Tasks.ValueTask " + invoker.InvokerName + "(object instance, " + CSharp.Dispatch + "GrpcServerCall call)");
        if (streamsRequests)
        {
            w.Line("var requests = call.ReadRequestsAsync(" + invoker.RequestClrType + ".Parser, " + CSharp.Literal(invoker.RequestType) + ");");
        }
        else
        {
            w.Line("var request = " + CSharp.Dispatch + "GrpcDispatch.Parse(" + invoker.RequestClrType + ".Parser, call.RequestPayload, " + CSharp.Literal(invoker.RequestType) + ");");
        }
        var arguments = invoker.Arguments.Select(a => a switch
        {
            ArgumentKind.Context => "call.RequestContext",
            ArgumentKind.CancellationToken => "call.CancellationToken",
            ArgumentKind.GrpcContext => "call.GrpcContext",
            _ => streamsRequests ? "requests" : "request",
        });
        var callExpression = "((" + model.GlobalTypeName + ")instance)." + Symbols.EscapeIdentifier(invoker.MethodName) + "(" + string.Join(", ", arguments) + ")";
        switch (invoker.ReturnKind)
        {
            case ReturnKind.Enumerable:
            case ReturnKind.AsyncEnumerable:
                var stream = invoker.ReturnKind == ReturnKind.Enumerable
                    ? "global::System.Collections.Generic.IEnumerable<" + invoker.ResponseClrType + ">"
                    : "global::System.Collections.Generic.IAsyncEnumerable<" + invoker.ResponseClrType + ">";
                if (invoker.NeedsStreamCast)
                {
                    callExpression = "(" + stream + ")" + callExpression;
                }
                w.Line("return " + CSharp.Dispatch + "GrpcDispatch.WriteStreamAsync<" + invoker.ResponseClrType + ">(call, " + callExpression + ", " + CSharp.Literal(path) + ");");
                break;
            default:
                w.Line("return " + CSharp.Dispatch + "GrpcDispatch.WriteUnaryAsync(call, " + callExpression + ", " + CSharp.Literal(path) + ");");
                break;
        }
        w.Close();
    }
}
