using System.Collections.Generic;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the typed handle of a deployment: one <c>DeploymentHandle&lt;T&gt;</c> extension method per callable method.</summary>
internal static class HandleEmitter
{
    private const string Tasks = "global::System.Threading.Tasks.";

    /// <summary>The typed handle: one <c>DeploymentHandle&lt;T&gt;</c> extension method per callable method of the deployment.</summary>
    public static void EmitHandleExtensions(SourceWriter w, DeploymentModel model, HandleExtensionsModel handles)
    {
        w.Line("/// <summary>")
         .Line("/// The typed handle of <see cref=\"" + model.GlobalTypeName + "\"/>: one method per public method of the deployment, called")
         .Line("/// on a replica through the deployment's router (<c>await handle.Method(args)</c>).")
         .Line("/// </summary>")
         .Line(CSharp.GeneratedCodeAttribute);
        w.Open((handles.IsPublic ? "public" : "internal") + " static partial class " + handles.ClassName);
        var first = true;
        foreach (var method in handles.Methods)
        {
            if (!first)
            {
                w.Line();
            }
            first = false;
            EmitHandleMethod(w, model, method);
        }
        w.Close();
    }

    private static void EmitHandleMethod(SourceWriter w, DeploymentModel model, HandleMethodModel method)
    {
        var target = method.Cref.Length > 0 ? "<see cref=\"" + method.Cref + "\"/>" : "<c>" + CSharp.Xml(model.FullTypeName + "." + method.MethodName) + "</c>";
        w.Line(method.Shape is HandleShape.AsyncStream or HandleShape.SyncStream
            ? "/// <summary>Streams what " + target + " yields on a replica of the deployment, through the deployment's router; the call starts when the stream is enumerated.</summary>"
            : "/// <summary>Calls " + target + " on a replica of the deployment, through the deployment's router.</summary>");
        if (method.ObsoleteMessage is { } obsolete)
        {
            w.Line("[global::System.Obsolete(" + CSharp.Literal(obsolete) + ")]");
        }

        var values = method.Arguments.Where(a => a.Kind == HandleArgumentKind.Value).ToList();
        var signature = new List<string> { "this global::Serve.DeploymentHandle<" + model.GlobalTypeName + "> " + method.HandleName };
        signature.AddRange(values.Select(a => a.DefaultValue is null
            ? "global::Serve.DeploymentArg<" + a.Type + "> " + a.Name
            : "global::Serve.DeploymentArg<" + a.Type + ">? " + a.Name + " = null"));
        signature.Add("global::System.Threading.CancellationToken " + method.TokenName + " = default");
        var returnType = method.Shape switch
        {
            HandleShape.Value => "global::Serve.DeploymentResponse<" + method.ResultType + ">",
            HandleShape.Void => "global::Serve.DeploymentResponse",
            _ => "global::Serve.DeploymentResponseStream<" + method.ResultType + ">",
        };
        w.Line("public static " + returnType + " " + method.Name + "(" + string.Join(", ", signature) + ")");

        var call = method.InstanceName + "." + method.Name + "(" + string.Join(", ", method.Arguments.Select(a => a.Kind switch
        {
            HandleArgumentKind.CancellationToken => method.InvokeTokenName,
            HandleArgumentKind.Context => "global::Serve.ServeRequestContext.Current!",
            _ => a.Local,
        })) + ")";
        var lambda = "(" + method.InstanceName + ", " + method.InvokeTokenName + ") => ";
        var invoke = method.Shape switch
        {
            HandleShape.AsyncStream => method.CallName + ".InvokeStream<" + method.ResultType + ">(" + lambda + call + ")",
            HandleShape.SyncStream => method.CallName + ".InvokeSyncStream<" + method.ResultType + ">(" + lambda + call + ")",
            HandleShape.Void => method.CallName + ".InvokeAsync(" + lambda + method.ReturnKind switch
            {
                ReturnKind.Void => "{ " + call + "; return default; }",
                ReturnKind.NonGenericTask => "new " + Tasks + "ValueTask(" + call + ")",
                _ => call,
            } + ")",
            _ => method.CallName + ".InvokeAsync<" + method.ResultType + ">(" + lambda
                + (method.ReturnKind == ReturnKind.ValueTask ? call : "new " + Tasks + "ValueTask<" + method.ResultType + ">(" + call + ")") + ")",
        };
        var start = method.Shape switch
        {
            HandleShape.Value => method.HandleName + ".Call<" + method.ResultType + ">(",
            HandleShape.Void => method.HandleName + ".CallVoid(",
            _ => method.HandleName + ".Stream<" + method.ResultType + ">(",
        };
        var streamTask = Tasks + "ValueTask<global::System.Collections.Generic.IAsyncEnumerable<" + method.ResultType + ">>";
        var name = CSharp.Literal(method.MethodName);
        if (values.Count == 0)
        {
            // Nothing to wait for: no async state machine.
            var body = method.Shape is HandleShape.AsyncStream or HandleShape.SyncStream ? "new " + streamTask + "(" + invoke + ")" : invoke;
            w.Line("    => " + start + name + ", " + method.CallName + " => " + body + ", " + method.TokenName + ");");
            return;
        }
        w.Line("    => " + start + name + ", async " + method.CallName + " =>");
        w.Line("    {");
        foreach (var value in values)
        {
            var argument = value.DefaultValue switch
            {
                null => value.Name,
                "default!" => "(" + value.Name + " ?? default(global::Serve.DeploymentArg<" + value.Type + ">))",
                _ => "(" + value.Name + " ?? new global::Serve.DeploymentArg<" + value.Type + ">(" + value.DefaultValue + "))",
            };
            w.Line("        var " + value.Local + " = await " + argument + ".ResolveAsync(" + method.CallName + ".CancellationToken).ConfigureAwait(false);");
        }
        w.Line(method.Shape switch
        {
            HandleShape.Value => "        return await " + invoke + ".ConfigureAwait(false);",
            HandleShape.Void => "        await " + invoke + ".ConfigureAwait(false);",
            _ => "        return " + invoke + ";",
        });
        w.Line("    }, " + method.TokenName + ");");
    }
}
