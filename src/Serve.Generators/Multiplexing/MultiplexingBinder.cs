using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Checks the <c>[Multiplexed]</c> model loader of a deployment and decides its model cache and accessors.</summary>
internal static class MultiplexingBinder
{
    /// <summary>Checks the <c>[Multiplexed]</c> loaders of a deployment (one at most); null when it has none, or nothing can be emitted.</summary>
    public static MultiplexedModel? Bind(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
    {
        var loaders = deployment.Methods.Where(m => m.Multiplexed is not null).ToList();
        for (var i = 1; i < loaders.Count; i++)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMultiplexed, loaders[i].Location, deployment.FullTypeName, loaders[0].Name, loaders[i].Name));
        }
        return loaders.Count == 0 ? null : CheckLoader(deployment, loaders[0], diagnostics);
    }

    /// <summary>
    /// Checks a <c>[Multiplexed]</c> model loader. Returns what to emit: null when nothing can be (no model type, or the
    /// accessor's name is taken); a model with <c>IsValid</c> false when the signature is wrong but the accessors can still
    /// be emitted so that the user's calls compile.
    /// </summary>
    private static MultiplexedModel? CheckLoader(DeploymentInfo deployment, DeploymentMethodInfo loader, List<DiagnosticInfo> diagnostics)
    {
        var info = loader.Multiplexed!;
        var problems = new List<string>();
        if (loader.IsStatic)
        {
            problems.Add("is static");
        }
        if (loader.IsGeneric)
        {
            problems.Add("is generic");
        }
        var parameters = loader.Parameters;
        var takesCancellationToken = parameters.Count == 2 && parameters[1].Kind == ParameterKind.CancellationToken && !parameters[1].IsByRef;
        if (!((parameters.Count == 1 || takesCancellationToken) && parameters[0].Type == "string" && !parameters[0].IsByRef))
        {
            problems.Add(parameters.Count == 0
                ? "takes no parameters"
                : "takes (" + string.Join(", ", parameters.Select(p => (p.IsByRef ? "by-reference " : "") + p.Display)) + ")");
        }
        if (info.ReturnKind == LoaderReturnKind.Invalid)
        {
            problems.Add("returns '" + loader.Return.Display + "', not a model");
        }
        if (problems.Count > 0)
        {
            var model = info.ModelDisplay.Length > 0 ? info.ModelDisplay : "TModel";
            var returnType = info.ReturnKind switch
            {
                LoaderReturnKind.Value => model,
                LoaderReturnKind.ValueTask => "ValueTask<" + model + ">",
                _ => "Task<" + model + ">",
            };
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMultiplexedLoader, loader.Location, loader.Name,
                string.Join(" and ", problems), returnType + " " + loader.Name + "(string modelId, CancellationToken cancellationToken)"));
        }
        if (info.MaxModelsPerReplica < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMaxModelsPerReplica, info.MaxModelsLocation ?? loader.Location, loader.Name,
                info.MaxModelsPerReplica.ToString(CultureInfo.InvariantCulture)));
        }
        if (deployment.MultiplexedAccessorConflict is { } conflict)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MultiplexedAccessorConflict, conflict.Location ?? loader.Location,
                deployment.FullTypeName, loader.Name, conflict.Display));
            return null;
        }
        if (info.ReturnKind == LoaderReturnKind.Invalid || loader.IsGeneric)
        {
            // No model type the class can name (a generic loader's may be its own type parameter).
            return null;
        }
        return new MultiplexedModel(info.ModelType, info.MaxModelsPerReplica, Symbols.EscapeIdentifier(loader.Name), info.ReturnKind, takesCancellationToken,
            problems.Count == 0 && info.MaxModelsPerReplica >= 1);
    }
}
