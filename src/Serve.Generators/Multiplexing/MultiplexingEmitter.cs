using System.Globalization;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the model cache of a <c>[Multiplexed]</c> loader and the accessors user code calls.</summary>
internal static class MultiplexingEmitter
{
    private const string ModelCacheProperty = "__ServeModelCache";
    private const string ModelCacheField = "__serveModelCache";

    /// <summary>The definition's accessor of a replica's model cache.</summary>
    public static void EmitDefinitionProperty(SourceWriter w, DeploymentModel model)
        => w.Line("    MultiplexedModels = static instance => ((" + model.GlobalTypeName + ")instance)." + ModelCacheProperty + ",");

    /// <summary>The model cache of a <c>[Multiplexed]</c> loader (created on first use) and the accessors the user calls.</summary>
    public static void EmitMembers(SourceWriter w, MultiplexedModel model)
    {
        var cache = "global::Serve.Multiplexing.ModelCache<" + model.ModelType + ">";
        var valueTask = "global::System.Threading.Tasks.ValueTask<" + model.ModelType + ">";
        var max = model.MaxModelsPerReplica.ToString(CultureInfo.InvariantCulture);
        var loader = "<c>" + CSharp.Xml(model.LoaderName) + "</c>";
        var loaderCall = "this." + model.LoaderName + "(modelId" + (model.LoaderTakesCancellationToken ? ", cancellationToken" : "") + ")";
        var load = !model.IsValid
            ? "throw new global::System.InvalidOperationException(" + CSharp.Literal("The [Multiplexed] method '" + model.LoaderName + "' cannot load models (see the build diagnostics).") + ")"
            : model.LoaderKind == LoaderReturnKind.ValueTask ? loaderCall
            : "new " + valueTask + "(" + loaderCall + ")";

        w.Line(CSharp.GeneratedCodeAttribute)
         .Line("private " + cache + "? " + ModelCacheField + ";")
         .Line();
        w.Line("/// <summary>This replica's multiplexed models (at most " + max + "), loaded with " + loader + "; created on first use.</summary>")
         .Line(CSharp.GeneratedCodeAttribute)
         .Line("private " + cache + " " + ModelCacheProperty)
         .Line("    => global::System.Threading.Volatile.Read(ref " + ModelCacheField + ") ?? __ServeCreateModelCache();")
         .Line();
        w.Open("private " + cache + " __ServeCreateModelCache()");
        w.Line("var created = new " + cache + "(" + max + ", (modelId, cancellationToken) => " + load + ");");
        w.Line("return global::System.Threading.Interlocked.CompareExchange(ref " + ModelCacheField + ", created, null) ?? created;");
        w.Close();
        w.Line();

        w.Line("/// <summary>")
         .Line("/// Returns the model of the current request's multiplexed model id (the client's <c>multiplexed_model_id</c>, read from")
         .Line("/// <see cref=\"global::Serve.ServeRequestContext.Current\"/>), loading it with " + loader + " on a miss. The replica keeps at")
         .Line("/// most " + max + " models and evicts (and disposes) the least recently used one. Concurrent requests for a model share one load.")
         .Line("/// A request without a model id fails with INVALID_ARGUMENT.")
         .Line("/// </summary>")
         .Line("/// <param name=\"cancellationToken\">Stops waiting for the model; the load itself goes on for other requests.</param>")
         .Line(CSharp.GeneratedCodeAttribute)
         .Line("private " + valueTask + " " + MultiplexingParser.MultiplexedAccessorName + "(global::System.Threading.CancellationToken cancellationToken = default)")
         .Line("    => " + ModelCacheProperty + ".GetAsync(global::Serve.ServeRequestContext.Current?.MultiplexedModelId ?? \"\", cancellationToken);")
         .Line();
        w.Line("/// <summary>")
         .Line("/// Returns the model <paramref name=\"modelId\"/>, loading it with " + loader + " on a miss. The replica keeps at most " + max)
         .Line("/// models and evicts (and disposes) the least recently used one. Concurrent requests for a model share one load.")
         .Line("/// </summary>")
         .Line("/// <param name=\"modelId\">The model to return; empty fails with INVALID_ARGUMENT.</param>")
         .Line("/// <param name=\"cancellationToken\">Stops waiting for the model; the load itself goes on for other requests.</param>")
         .Line(CSharp.GeneratedCodeAttribute)
         .Line("private " + valueTask + " " + MultiplexingParser.MultiplexedAccessorName + "(string modelId, global::System.Threading.CancellationToken cancellationToken = default)")
         .Line("    => " + ModelCacheProperty + ".GetAsync(modelId, cancellationToken);");
    }
}
