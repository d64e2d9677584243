using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Writes the per-item overload of each <c>[Batch]</c> method and the replica's queue behind it.</summary>
internal static class BatchEmitter
{
    private const string BatchMethodDefinition = "global::Serve.Batching.BatchMethodDefinition";

    /// <summary>The definition's batched methods: name, settings and the accessor of each one's queue.</summary>
    public static void EmitDefinitionProperty(SourceWriter w, DeploymentModel model, List<BatchModel> validBatches)
    {
        w.Line("    BatchMethods = new " + BatchMethodDefinition + "[]");
        w.Line("    {");
        foreach (var batch in validBatches)
        {
            w.Line("        new " + BatchMethodDefinition + "(" + CSharp.Literal(batch.RawName) + ", " + batch.MaxBatchSize.ToString(CultureInfo.InvariantCulture) + ", "
                + Timeout(batch) + ", " + batch.MaxConcurrentBatches.ToString(CultureInfo.InvariantCulture)
                + ", static instance => global::System.Threading.Volatile.Read(ref ((" + model.GlobalTypeName + ")instance)." + BatchField(batch) + ")),");
        }
        w.Line("    },");
    }

    private static string BatchField(BatchModel batch) => "__serveBatch" + batch.Index.ToString(CultureInfo.InvariantCulture);

    private static string Timeout(BatchModel batch)
        => "global::System.TimeSpan.FromTicks(" + batch.TimeoutTicks.ToString(CultureInfo.InvariantCulture) + ") /* " + batch.TimeoutText + " s */";

    /// <summary>The method the factory passes a new instance through, keeping the host's clock for its batch queues.</summary>
    public const string WithClock = "__ServeWithClock";

    private const string ClockField = "__serveClock";

    /// <summary>True when the deployment has a <c>[Batch]</c> method that runs (and so a queue that waits on a clock).</summary>
    public static bool HasBatches(DeploymentModel model) => model.Batches.Any(b => b.IsValid);

    /// <summary>
    /// The instance's clock (the host's <see cref="System.TimeProvider"/>, so that tests drive batch waits with a fake one)
    /// and the static method the factory hands each new instance to with the replica's services.
    /// </summary>
    public static void EmitClock(SourceWriter w, DeploymentModel model)
    {
        w.Line(CSharp.GeneratedCodeAttribute)
         .Line("private global::System.TimeProvider? " + ClockField + ";")
         .Line()
         .Line(CSharp.GeneratedCodeAttribute);
        w.Open("private static " + model.GlobalTypeName + " " + WithClock + "(" + model.GlobalTypeName + " instance, global::System.IServiceProvider services)");
        w.Line("instance." + ClockField + " = services.GetService(typeof(global::System.TimeProvider)) as global::System.TimeProvider;")
         .Line("return instance;");
        w.Close();
    }

    /// <summary>
    /// The per-item overload of a <c>[Batch]</c> method, which everything else calls, and the replica's queue behind it
    /// (created on first use, like the model cache of a <c>[Multiplexed]</c> loader).
    /// </summary>
    public static void EmitMembers(SourceWriter w, BatchModel batch)
    {
        var queue = "global::Serve.Batching.BatchQueue<" + batch.ItemType + ", " + batch.ResultType + ">";
        var field = BatchField(batch);
        var create = "__ServeCreateBatch" + batch.Index.ToString(CultureInfo.InvariantCulture);
        var target = batch.Cref.Length > 0 ? "<see cref=\"" + batch.Cref + "\"/>" : "<c>" + CSharp.Xml(batch.RawName) + "</c>";
        if (batch.IsValid)
        {
            w.Line(CSharp.GeneratedCodeAttribute)
             .Line("private " + queue + "? " + field + ";")
             .Line();
        }
        w.Line("/// <summary>")
         .Line("/// Runs " + target + " on <paramref name=\"" + batch.ItemParameterName.TrimStart('@') + "\"/> as one item of a batch: the call waits for other")
         .Line("/// calls to fill a batch of at most " + batch.MaxBatchSize.ToString(CultureInfo.InvariantCulture) + " items (or for " + batch.TimeoutText
            + " s after the batch's oldest item arrived), then returns this item's result.")
         .Line("/// </summary>")
         .Line("/// <param name=\"" + batch.ItemParameterName.TrimStart('@') + "\">The item.</param>")
         .Line("/// <param name=\"" + batch.TokenParameterName + "\">Stops waiting: a waiting item leaves the queue; a running one's batch goes on for the other items.</param>")
         .Line(CSharp.GeneratedCodeAttribute)
         .Line(batch.Accessibility + " global::System.Threading.Tasks.ValueTask<" + batch.ResultType + "> " + batch.MethodName + "(" + batch.ItemType + " " + batch.ItemParameterName
            + ", global::System.Threading.CancellationToken " + batch.TokenParameterName + " = default)");
        if (!batch.IsValid)
        {
            w.Line("    => throw new global::System.InvalidOperationException(" + CSharp.Literal("The [Batch] method '" + batch.RawName + "' cannot run (see the build diagnostics).") + ");");
            return;
        }
        w.Line("    => (global::System.Threading.Volatile.Read(ref " + field + ") ?? " + create + "()).SubmitAsync(" + batch.ItemParameterName + ", " + batch.TokenParameterName + ");")
         .Line();

        var list = "global::System.Collections.Generic.IReadOnlyList<" + batch.ResultType + ">";
        var call = "this." + batch.MethodName + "(__items" + (batch.TakesCancellationToken ? ", __ct" : "") + ")";
        var handler = batch.ResultKind switch
        {
            BatchResultKind.ValueTask when batch.ResultIsExactList => "(__items, __ct) => " + call,
            BatchResultKind.Task or BatchResultKind.ValueTask when !batch.ResultIsExactList => "async (__items, __ct) => await " + call + ".ConfigureAwait(false)",
            _ => "(__items, __ct) => new global::System.Threading.Tasks.ValueTask<" + list + ">(" + call + ")",
        };
        w.Line(CSharp.GeneratedCodeAttribute);
        w.Open("private " + queue + " " + create + "()");
        w.Line("var created = new " + queue + "(" + CSharp.Literal(batch.RawName) + ", " + batch.MaxBatchSize.ToString(CultureInfo.InvariantCulture) + ", " + Timeout(batch) + ", "
            + batch.MaxConcurrentBatches.ToString(CultureInfo.InvariantCulture) + ",");
        w.Line("    " + handler + ",");
        w.Line("    " + ClockField + ");");
        w.Line("return global::System.Threading.Interlocked.CompareExchange(ref " + field + ", created, null) ?? created;");
        w.Close();
    }
}
