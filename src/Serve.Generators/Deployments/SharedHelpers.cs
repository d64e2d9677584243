using System.Collections.Generic;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// One class per compilation (<c>Serve.Generated.ServeHelpers_&lt;Assembly&gt;</c>, written with the module registry) for
/// the code every deployment's output would otherwise repeat: the typed handles' calls and the HTTP binding helpers.
/// Only the helpers some deployment calls are written.
/// </summary>
/// <remarks>
/// Named after the assembly, like the registry: a library's internals reach its tests through InternalsVisibleTo, and
/// two classes of one name would clash there (CS0436).
/// </remarks>
internal static class SharedHelpers
{
    /// <summary>The using alias through which a deployment's file calls the helpers (names starting with <c>__Serve</c> are reserved).</summary>
    public const string Alias = "__ServeHelpers";

    public static string ClassName(string assemblyName) => "ServeHelpers_" + CSharp.Identifier(assemblyName);

    /// <summary>What one deployment's generated code calls.</summary>
    public static SharedHelpersModel Of(DeploymentModel model)
    {
        var handleCalls = HandleEmitter.HelpersOf(model.Handles);
        var http = HttpEmitter.HasRoutes(model) ? HttpEmitter.HelpersOf(model.Http!) : EquatableArray<HttpHelper>.Empty;
        return handleCalls.IsEmpty && http.IsEmpty ? SharedHelpersModel.None : new SharedHelpersModel(handleCalls, http);
    }

    /// <summary>What any deployment of the compilation calls, in a fixed order.</summary>
    public static SharedHelpersModel Union(IEnumerable<SharedHelpersModel> helpers)
    {
        var all = helpers.ToList();
        return new SharedHelpersModel(
            all.SelectMany(h => h.HandleCalls).Distinct().OrderBy(h => h.Kind).ThenBy(h => h.Arity).ToEquatableArray(),
            all.SelectMany(h => h.Http).Distinct().OrderBy(h => h).ToEquatableArray());
    }

    /// <summary>The alias line of a deployment's file, when its code calls a helper.</summary>
    public static void EmitAlias(SourceWriter w, DeploymentModel model, string assemblyName)
    {
        if (!Of(model).IsEmpty)
        {
            w.Line("using " + Alias + " = global::Serve.Generated." + ClassName(assemblyName) + ";").Line();
        }
    }

    /// <summary>The helper class (inside <c>namespace Serve.Generated</c>).</summary>
    public static void Emit(SourceWriter w, string assemblyName, SharedHelpersModel helpers)
    {
        w.Line("/// <summary>What the generated code of this assembly's deployments shares: typed handle calls and HTTP binding helpers.</summary>");
        w.Line(CSharp.GeneratedCodeAttribute);
        w.Open("internal static class " + ClassName(assemblyName));
        var first = true;
        foreach (var helper in helpers.HandleCalls)
        {
            if (!first)
            {
                w.Line();
            }
            first = false;
            HandleEmitter.EmitHelper(w, helper);
        }
        foreach (var helper in helpers.Http)
        {
            if (!first)
            {
                w.Line();
            }
            first = false;
            HttpEmitter.EmitHelper(w, helper);
        }
        w.Close();
    }
}
