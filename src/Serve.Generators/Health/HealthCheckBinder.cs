using System.Collections.Generic;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Finds a deployment's health check (a <c>[HealthCheck]</c> method, else Ray's name) and checks its signature.</summary>
internal static class HealthCheckBinder
{
    private const string Expected = "[HealthCheck] public ValueTask CheckHealthAsync(CancellationToken cancellationToken)";

    /// <summary>The health check to emit; null when the deployment has none or it cannot be called.</summary>
    public static HealthCheckModel? Bind(DeploymentInfo deployment, List<DiagnosticInfo> diagnostics)
    {
        var methods = deployment.Methods.Concat(deployment.InheritedMethods).ToList();
        var candidates = methods.Where(m => m.HasHealthCheckAttribute).ToList();
        if (candidates.Count == 0)
        {
            // By name only when nothing is marked: a marked method is the one the user chose.
            candidates = methods.Where(m => m.IsLifecycleHook && HealthCheckParser.HasCheckName(m.Name)).ToList();
        }
        if (candidates.Count == 0)
        {
            return null;
        }
        for (var i = 1; i < candidates.Count; i++)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateHealthCheck, candidates[i].Location ?? deployment.Location,
                deployment.FullTypeName, candidates[0].Signature, candidates[i].Signature));
        }
        var check = candidates[0];
        var problems = new List<string>();
        if (check.IsStatic)
        {
            problems.Add("is static");
        }
        if (check.IsGeneric)
        {
            problems.Add("is generic");
        }
        var parameters = check.Parameters;
        var takesToken = parameters.Count == 1 && parameters[0].Kind == ParameterKind.CancellationToken && !parameters[0].IsByRef;
        if (parameters.Count > 0 && !takesToken)
        {
            problems.Add("takes (" + string.Join(", ", parameters.Select(p => (p.IsByRef ? "by-reference " : "") + p.Display)) + ")");
        }
        var kind = Classify(check.Return);
        if (kind is null)
        {
            problems.Add("returns '" + check.Return.Display + "'");
        }
        if (problems.Count > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHealthCheck, check.Location ?? deployment.Location,
                check.Signature, string.Join(" and ", problems), Expected));
            return null;
        }
        return candidates.Count > 1 ? null : new HealthCheckModel(Symbols.EscapeIdentifier(check.Name), check.Name, takesToken, kind!.Value);
    }

    private static HealthCheckReturn? Classify(ReturnInfo returns)
    {
        var isBool = returns.ElementType is "bool" or "global::System.Boolean";
        return returns.Kind switch
        {
            ReturnKind.Void => HealthCheckReturn.Void,
            ReturnKind.NonGenericTask => HealthCheckReturn.Task,
            ReturnKind.NonGenericValueTask => HealthCheckReturn.ValueTask,
            ReturnKind.Value when isBool => HealthCheckReturn.Bool,
            ReturnKind.Task when isBool => HealthCheckReturn.TaskOfBool,
            ReturnKind.ValueTask when isBool => HealthCheckReturn.ValueTaskOfBool,
            _ => null,
        };
    }
}
