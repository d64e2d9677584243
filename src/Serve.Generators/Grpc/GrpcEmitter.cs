using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes a deployment's gRPC dispatch table: per bound RPC its description and invoker (parse, call, write).</summary>
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
                + CSharp.Dispatch + "GrpcMethodType." + invoker.Kind + ", " + CSharp.Literal(invoker.RequestType) + ", " + CSharp.Literal(invoker.ResponseType) + ",");
            w.Line("            " + Invoker(model, invoker) + "),");
        }
        w.Line("    }" + end);
    }

    /// <summary>
    /// The invoker as a static lambda: parse the request (or read the request stream), call the method, write the
    /// response(s). One expression in the table rather than a named method each, which only repeated its signature.
    /// </summary>
    private static string Invoker(DeploymentModel model, InvokerModel invoker)
    {
        var path = CSharp.Literal("/" + invoker.ServiceName + "/" + invoker.RpcName);
        var request = invoker.Kind is RpcKind.ClientStreaming or RpcKind.DuplexStreaming
            ? "call.ReadRequestsAsync(" + invoker.RequestClrType + ".Parser, " + CSharp.Literal(invoker.RequestType) + ")"
            : CSharp.Dispatch + "GrpcDispatch.Parse(" + invoker.RequestClrType + ".Parser, call.RequestPayload, " + CSharp.Literal(invoker.RequestType) + ")";
        var arguments = invoker.Arguments.Select(a => a switch
        {
            ArgumentKind.Context => "call.RequestContext",
            ArgumentKind.CancellationToken => "call.CancellationToken",
            ArgumentKind.GrpcContext => "call.GrpcContext",
            _ => request,
        });
        var callExpression = "((" + model.GlobalTypeName + ")instance)." + Symbols.EscapeIdentifier(invoker.MethodName) + "(" + string.Join(", ", arguments) + ")";
        const string Lambda = "static (instance, call) => ";
        if (invoker.ReturnKind is not (ReturnKind.Enumerable or ReturnKind.AsyncEnumerable))
        {
            return Lambda + CSharp.Dispatch + "GrpcDispatch.WriteUnaryAsync(call, " + callExpression + ", " + path + ")";
        }
        if (invoker.NeedsStreamCast)
        {
            var stream = invoker.ReturnKind == ReturnKind.Enumerable ? "global::System.Collections.Generic.IEnumerable<" : "global::System.Collections.Generic.IAsyncEnumerable<";
            callExpression = "(" + stream + invoker.ResponseClrType + ">)" + callExpression;
        }
        return Lambda + CSharp.Dispatch + "GrpcDispatch.WriteStreamAsync<" + invoker.ResponseClrType + ">(call, " + callExpression + ", " + path + ")";
    }
}
