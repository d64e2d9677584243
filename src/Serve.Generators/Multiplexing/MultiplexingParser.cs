using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads <c>[Multiplexed]</c> model loaders: the attribute's settings and what the return type says about the model.</summary>
internal static class MultiplexingParser
{
    /// <summary>The name of the model accessor generated for a <c>[Multiplexed]</c> loader.</summary>
    public const string MultiplexedAccessorName = "GetMultiplexedModelAsync";

    /// <summary>A member that the generated accessor would collide with; null when there is none.</summary>
    public static MemberConflict? FindAccessorConflict(INamedTypeSymbol type) => FindMemberConflict(type, MultiplexedAccessorName);

    /// <summary>A user member of the type, or a non-private one of a base type, named <paramref name="name"/>.</summary>
    private static MemberConflict? FindMemberConflict(INamedTypeSymbol type, string name)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || (!SymbolEqualityComparer.Default.Equals(current, type) && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }
                var kind = member.Kind switch
                {
                    SymbolKind.Method => "method",
                    SymbolKind.Property => "property",
                    SymbolKind.Field => "field",
                    SymbolKind.Event => "event",
                    SymbolKind.NamedType => "nested type",
                    _ => "member",
                };
                var inherited = SymbolEqualityComparer.Default.Equals(current, type) ? "" : " (inherited from '" + current.ToDisplayString() + "')";
                return new MemberConflict(kind + " '" + member.ToDisplayString() + "'" + inherited, LocationInfo.From(member.Locations.FirstOrDefault()));
            }
        }
        return null;
    }

    /// <summary>Reads the <c>[Multiplexed]</c> attribute of a deployment method and the model type its return type gives.</summary>
    public static MultiplexedInfo ParseMultiplexed(IMethodSymbol method, AttributeData attribute, CancellationToken cancellationToken)
    {
        var max = attribute.AttributeClass?.GetMembers("DefaultMaxModelsPerReplica").OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true, ConstantValue: int defaultMax }
            ? defaultMax
            : 3;
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var location = LocationInfo.From(syntax);
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "MaxModelsPerReplica" && argument.Value.Value is int value)
            {
                max = value;
                var argumentSyntax = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "MaxModelsPerReplica");
                location = LocationInfo.From(argumentSyntax) ?? location;
            }
        }

        var type = method.ReturnType;
        var kind = LoaderReturnKind.Value;
        if (method.ReturnsVoid || method.ReturnsByRef || method.ReturnsByRefReadonly
            || WellKnownTypes.Task.Matches(type) || WellKnownTypes.ValueTask.Matches(type))
        {
            kind = LoaderReturnKind.Invalid;
        }
        else if (Symbols.TryGetAwaited(type, out var awaited, out var isValueTask))
        {
            kind = isValueTask ? LoaderReturnKind.ValueTask : LoaderReturnKind.Task;
            type = awaited;
        }
        return kind == LoaderReturnKind.Invalid
            ? new MultiplexedInfo(max, location, kind, "", "")
            : new MultiplexedInfo(max, location, kind, type.ToDisplayString(Symbols.AnnotatedTypeFormat), type.ToDisplayString());
    }

    /// <summary>
    /// Reads a <c>[Multiplexed]</c> method: null when its type is a deployment (the deployment's parser reads it),
    /// else the diagnostic saying the attribute has no effect there.
    /// </summary>
    public static DiagnosticInfo? ParseStrayMultiplexed(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        => Symbols.OutsideDeployment(context, DiagnosticDescriptors.MultiplexedOutsideDeployment, cancellationToken);
}
