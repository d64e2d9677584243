using System;
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
        if (Helper(method) is { } helper)
        {
            // The resolving and calling are the shared helper's; the lambda says what to call.
            var parameters = new[] { method.InstanceName }.Concat(values.Select(v => v.Local)).Concat(new[] { method.InvokeTokenName });
            var invocation = method.ResultNeedsCast ? "(global::System.Collections.Generic.IAsyncEnumerable<" + method.ResultType + ">)" + call : call;
            w.Line("    => " + SharedHelpers.Alias + "." + HelperName(helper.Kind) + "(" + method.HandleName + ", " + CSharp.Literal(method.MethodName) + ", "
                + string.Join(", ", values.Select(Argument)) + ", static (" + string.Join(", ", parameters) + ") => " + invocation + ", " + method.TokenName + ");");
            return;
        }

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
        var name = CSharp.Literal(method.MethodName);
        if (values.Count == 0)
        {
            // Nothing to wait for: no async state machine, and no closure.
            var streamTask = Tasks + "ValueTask<global::System.Collections.Generic.IAsyncEnumerable<" + method.ResultType + ">>";
            var body = method.Shape is HandleShape.AsyncStream or HandleShape.SyncStream ? "new " + streamTask + "(" + invoke + ")" : invoke;
            w.Line("    => " + start + name + ", " + method.CallName + " => " + body + ", " + method.TokenName + ");");
            return;
        }
        w.Line("    => " + start + name + ", async " + method.CallName + " =>");
        w.Line("    {");
        foreach (var value in values)
        {
            w.Line("        var " + value.Local + " = await " + Argument(value) + ".ResolveAsync(" + method.CallName + ".CancellationToken).ConfigureAwait(false);");
        }
        w.Line(method.Shape switch
        {
            HandleShape.Value => "        return await " + invoke + ".ConfigureAwait(false);",
            HandleShape.Void => "        await " + invoke + ".ConfigureAwait(false);",
            _ => "        return " + invoke + ";",
        });
        w.Line("    }, " + method.TokenName + ");");
    }

    /// <summary>A handle method's argument as passed on: an optional one is its default when the caller gave none.</summary>
    private static string Argument(HandleArgumentModel value) => value.DefaultValue switch
    {
        null => value.Name,
        "default!" => "(" + value.Name + " ?? default(global::Serve.DeploymentArg<" + value.Type + ">))",
        _ => "(" + value.Name + " ?? new global::Serve.DeploymentArg<" + value.Type + ">(" + value.DefaultValue + "))",
    };

    /// <summary>The most arguments a helper takes: its delegate (a Func or Action of at most 16 parameters) also takes the instance and the token.</summary>
    private const int MaxHelperArity = 14;

    /// <summary>
    /// The shared helper a handle method calls; null when it calls its handle itself: without arguments (no closure to
    /// share, and none to allocate), with more than a delegate can pass, or with a <c>dynamic</c> argument (the call is
    /// then bound at run time, and its result type cannot be inferred for the helper).
    /// </summary>
    private static HandleCallHelper? Helper(HandleMethodModel method)
    {
        var values = method.Arguments.Where(a => a.Kind == HandleArgumentKind.Value).ToList();
        if (values.Count == 0 || values.Count > MaxHelperArity || values.Any(v => v.Type.Contains("dynamic")))
        {
            return null;
        }
        var kind = method.Shape switch
        {
            HandleShape.Value => method.ReturnKind switch
            {
                ReturnKind.Task => HandleCallKind.Task,
                ReturnKind.ValueTask => HandleCallKind.ValueTask,
                _ => HandleCallKind.Value,
            },
            HandleShape.Void => method.ReturnKind switch
            {
                ReturnKind.Void => HandleCallKind.Void,
                ReturnKind.NonGenericTask => HandleCallKind.VoidTask,
                _ => HandleCallKind.VoidValueTask,
            },
            HandleShape.AsyncStream => HandleCallKind.Stream,
            _ => HandleCallKind.SyncStream,
        };
        return new HandleCallHelper(kind, values.Count);
    }

    /// <summary>The shared helpers a deployment's typed handle calls.</summary>
    public static EquatableArray<HandleCallHelper> HelpersOf(HandleExtensionsModel? handles)
        => handles is null
            ? EquatableArray<HandleCallHelper>.Empty
            : handles.Methods.Select(Helper).Where(h => h is not null).Select(h => h!).Distinct().ToEquatableArray();

    private static string HelperName(HandleCallKind kind) => kind switch
    {
        HandleCallKind.Value => "Call",
        HandleCallKind.Task => "CallTask",
        HandleCallKind.ValueTask => "CallValueTask",
        HandleCallKind.Void => "CallVoid",
        HandleCallKind.VoidTask => "CallVoidTask",
        HandleCallKind.VoidValueTask => "CallVoidValueTask",
        HandleCallKind.Stream => "Stream",
        _ => "SyncStream",
    };

    /// <summary>
    /// One handle call helper: resolves its arguments (each may be a pending response), then runs the method on a
    /// replica through the handle, as a handle method without the helper would.
    /// </summary>
    public static void EmitHelper(SourceWriter w, HandleCallHelper helper)
    {
        var numbers = Enumerable.Range(1, helper.Arity).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var typeArguments = numbers.Select(n => "TA" + n).ToList();
        var values = numbers.Select(n => "v" + n).ToList();
        var (result, returns, summary) = helper.Kind switch
        {
            HandleCallKind.Value => ("TResult", "TResult", "returns its result"),
            HandleCallKind.Task => ("TResult", Tasks + "Task<TResult>", "returns a <c>Task&lt;TResult&gt;</c>"),
            HandleCallKind.ValueTask => ("TResult", Tasks + "ValueTask<TResult>", "returns a <c>ValueTask&lt;TResult&gt;</c>"),
            HandleCallKind.Void => ("", "", "returns nothing"),
            HandleCallKind.VoidTask => ("", Tasks + "Task", "returns a <c>Task</c>"),
            HandleCallKind.VoidValueTask => ("", Tasks + "ValueTask", "returns a <c>ValueTask</c>"),
            HandleCallKind.Stream => ("TItem", "global::System.Collections.Generic.IAsyncEnumerable<TItem>", "returns an <c>IAsyncEnumerable&lt;TItem&gt;</c>"),
            _ => ("TItem", "global::System.Collections.Generic.IEnumerable<TItem>", "returns an <c>IEnumerable&lt;TItem&gt;</c>"),
        };
        var generics = new[] { "TDeployment" }.Concat(typeArguments).Concat(result.Length > 0 ? new[] { result } : Array.Empty<string>());
        var delegateTypes = new[] { "TDeployment" }.Concat(typeArguments).Concat(new[] { "global::System.Threading.CancellationToken" })
            .Concat(returns.Length > 0 ? new[] { returns } : Array.Empty<string>());
        var delegateType = (returns.Length > 0 ? "global::System.Func<" : "global::System.Action<") + string.Join(", ", delegateTypes) + ">";
        var responseType = helper.Kind switch
        {
            HandleCallKind.Value or HandleCallKind.Task or HandleCallKind.ValueTask => "global::Serve.DeploymentResponse<TResult>",
            HandleCallKind.Void or HandleCallKind.VoidTask or HandleCallKind.VoidValueTask => "global::Serve.DeploymentResponse",
            _ => "global::Serve.DeploymentResponseStream<TItem>",
        };
        var invocation = "invoke(d, " + string.Join(", ", values) + ", ct)";
        var (start, run) = helper.Kind switch
        {
            HandleCallKind.Value => ("handle.Call<TResult>(", "return await call.InvokeAsync<TResult>((d, ct) => new " + Tasks + "ValueTask<TResult>(" + invocation + ")).ConfigureAwait(false);"),
            HandleCallKind.Task => ("handle.Call<TResult>(", "return await call.InvokeAsync<TResult>((d, ct) => new " + Tasks + "ValueTask<TResult>(" + invocation + ")).ConfigureAwait(false);"),
            HandleCallKind.ValueTask => ("handle.Call<TResult>(", "return await call.InvokeAsync<TResult>((d, ct) => " + invocation + ").ConfigureAwait(false);"),
            HandleCallKind.Void => ("handle.CallVoid(", "await call.InvokeAsync((d, ct) => { " + invocation + "; return default; }).ConfigureAwait(false);"),
            HandleCallKind.VoidTask => ("handle.CallVoid(", "await call.InvokeAsync((d, ct) => new " + Tasks + "ValueTask(" + invocation + ")).ConfigureAwait(false);"),
            HandleCallKind.VoidValueTask => ("handle.CallVoid(", "await call.InvokeAsync((d, ct) => " + invocation + ").ConfigureAwait(false);"),
            HandleCallKind.Stream => ("handle.Stream<TItem>(", "return call.InvokeStream<TItem>((d, ct) => " + invocation + ");"),
            _ => ("handle.Stream<TItem>(", "return call.InvokeSyncStream<TItem>((d, ct) => " + invocation + ");"),
        };
        var parameters = new[] { "global::Serve.DeploymentHandle<TDeployment> handle", "string method" }
            .Concat(numbers.Select(n => "global::Serve.DeploymentArg<TA" + n + "> a" + n))
            .Concat(new[] { delegateType + " invoke", "global::System.Threading.CancellationToken cancellationToken" });
        w.Line("/// <summary>Runs a method of " + helper.Arity.ToString(System.Globalization.CultureInfo.InvariantCulture) + (helper.Arity == 1 ? " argument" : " arguments")
            + " that " + summary + " on a replica, through <paramref name=\"handle\"/>, once its arguments are resolved.</summary>");
        w.Line("public static " + responseType + " " + HelperName(helper.Kind) + "<" + string.Join(", ", generics) + ">(" + string.Join(", ", parameters) + ")");
        w.Line("    where TDeployment : class");
        w.Line("    => " + start + "method, async call =>");
        w.Line("    {");
        foreach (var n in numbers)
        {
            w.Line("        var v" + n + " = await a" + n + ".ResolveAsync(call.CancellationToken).ConfigureAwait(false);");
        }
        w.Line("        " + run);
        w.Line("    }, cancellationToken);");
    }
}
