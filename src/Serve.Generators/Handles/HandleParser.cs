using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads what the handle feature needs from symbols: <c>DeploymentHandle&lt;X&gt;</c> and <c>Serve.Application</c> constructor parameters.</summary>
internal static class HandleParser
{
    /// <summary>A constructor parameter typed <c>Serve.Application</c> (or a subclass), which would receive a handle; else null.</summary>
    public static ApplicationParameterInfo? ParseApplicationParameter(IParameterSymbol parameter, CancellationToken cancellationToken)
        => WellKnownTypes.Application.IsBaseOf(parameter.Type)
            ? new ApplicationParameterInfo(parameter.Name, parameter.Type.ToDisplayString(), ParameterLocation(parameter, cancellationToken))
            : null;

    /// <summary>A constructor parameter of type <c>DeploymentHandle&lt;X&gt;</c>, <paramref name="target"/> being X.</summary>
    /// <param name="markedFromServices">True when it is marked <c>[FromServices]</c> or <c>[FromKeyedServices]</c>.</param>
    public static HandleParameterInfo ParseHandleParameter(IParameterSymbol parameter, ITypeSymbol target, bool markedFromServices, CancellationToken cancellationToken)
        => new(
            parameter.Name,
            target.ToDisplayString(Symbols.TypeFormat),
            target.ToDisplayString(),
            // An unresolved type is the compiler's error to report, not ours.
            target.TypeKind == TypeKind.Error || IsDeploymentClass(target),
            ParameterLocation(parameter, cancellationToken),
            markedFromServices);

    private static LocationInfo? ParameterLocation(IParameterSymbol parameter, CancellationToken cancellationToken)
        => LocationInfo.From(parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken)) ?? LocationInfo.From(parameter.Locations.FirstOrDefault());

    /// <summary>X when <paramref name="type"/> is <c>Serve.DeploymentHandle&lt;X&gt;</c>; else null.</summary>
    public static ITypeSymbol? HandleTarget(ITypeSymbol type)
        => type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            && WellKnownTypes.DeploymentHandleOfT.Matches(named.OriginalDefinition)
            ? named.TypeArguments[0]
            : null;

    private static bool IsDeploymentClass(ITypeSymbol type)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Class }
            && type.GetAttributes().Any(a => WellKnownTypes.DeploymentAttribute.Matches(a.AttributeClass));
}
