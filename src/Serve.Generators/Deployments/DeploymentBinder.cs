using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>
/// Checks a deployment class and decides what to emit for it: the common part here, each feature's part by that
/// feature's binder.
/// </summary>
internal static class DeploymentBinder
{
    /// <param name="duplicateNames">The deployments of the compilation whose name another deployment class has too.</param>
    public static DeploymentResult Bind(DeploymentInfo deployment, ServiceCatalog catalog, EquatableArray<DeploymentNameInfo> duplicateNames)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var className = deployment.FullTypeName;

        if (!deployment.IsPartial || deployment.ContainingTypes.Any(t => !t.IsPartial))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DeploymentNotPartial, deployment.Location, className));
            return Result(null, diagnostics);
        }
        string? classProblem = deployment.IsGeneric ? "is generic (or nested in a generic type); deployments must be non-generic classes"
            : deployment.IsStatic ? "is static; deployments must be instantiable classes"
            : deployment.IsAbstract ? "is abstract; deployments must be instantiable classes"
            : null;
        if (classProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeploymentClass, deployment.Location, className, classProblem));
            return Result(null, diagnostics);
        }
        if (!deployment.IsAccessible)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeploymentClass, deployment.Location, className,
                "is private or protected (or nested in such a type); Serve's module registry needs it to be public or internal"));
        }
        if (deployment.PublicConstructors.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoUsableConstructor, deployment.Location, className, "has no public constructor",
                "make one of its constructors public"));
        }
        else if (deployment.ByRefParameter is { } byRef)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoUsableConstructor, deployment.Location, className,
                "takes constructor parameter '" + byRef + "' by ref or out", "take it by value (or 'in')"));
        }
        else if (deployment.PublicConstructors.Count > 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoUsableConstructor, deployment.Location, className,
                "has " + deployment.PublicConstructors.Count.ToString(CultureInfo.InvariantCulture) + " public constructors (" + string.Join(", ", deployment.PublicConstructors) + ")",
                "keep the one replicas should call public and make the others internal or private"));
        }
        var namesakes = duplicateNames
            .Where(d => d.Name == deployment.DeploymentName && d.FullTypeName != deployment.FullTypeName)
            .Select(d => "'" + d.FullTypeName + "'")
            .ToList();
        if (namesakes.Count > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateDeploymentName, deployment.NameLocation ?? deployment.Location, className,
                deployment.DeploymentName, string.Join(" and ", namesakes)));
        }

        var (served, invokers) = GrpcBinder.Bind(deployment, catalog, diagnostics);
        var multiplexed = MultiplexingBinder.Bind(deployment, diagnostics);
        var http = HttpBinder.Bind(deployment, diagnostics);
        var handles = HandleBinder.Bind(deployment, diagnostics);
        var batches = BatchBinder.Bind(deployment, diagnostics);
        var healthCheck = HealthCheckBinder.Bind(deployment, diagnostics);

        var model = new DeploymentModel(
            deployment.Namespace,
            deployment.ContainingTypes,
            deployment.Keyword,
            deployment.ClassName,
            deployment.FullTypeName,
            deployment.GlobalTypeName,
            deployment.DeploymentName,
            deployment.HasExplicitName,
            deployment.NumReplicas,
            deployment.MaxOngoingRequests,
            deployment.MaxQueuedRequests,
            // No factory can pass a ref or out argument: the emitted one throws instead (the error above fails the build).
            deployment.ByRefParameter is null ? deployment.Constructor : null,
            served,
            invokers,
            deployment.IsAccessible,
            multiplexed,
            http,
            handles,
            batches,
            healthCheck);
        return Result(model, diagnostics);
    }

    private static DeploymentResult Result(DeploymentModel? model, List<DiagnosticInfo> diagnostics)
        => new(model, diagnostics.Distinct().ToEquatableArray());

    /// <summary>
    /// The deployments whose name (ordinal, as the runtime compares them) another class has too, ordinal-sorted. A class
    /// read twice (two [Deployment] declarations, which the compiler reports) is one class.
    /// </summary>
    public static EquatableArray<DeploymentNameInfo> FindDuplicateNames(ImmutableArray<DeploymentNameInfo> names)
        => names.Distinct()
            .GroupBy(n => n.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .SelectMany(g => g)
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ThenBy(n => n.FullTypeName, StringComparer.Ordinal)
            .ToEquatableArray();
}
