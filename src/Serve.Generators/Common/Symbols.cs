using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Symbol helpers every parser uses: display formats, locations, accessibility, identifiers, awaited types, and the diagnostic for a member attribute outside a deployment.</summary>
internal static class Symbols
{
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    public static readonly SymbolDisplayFormat AnnotatedTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// For <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>: true, with <paramref name="awaited"/> = <c>T</c> and
    /// <paramref name="isValueTask"/> saying which; false for any other type.
    /// </summary>
    public static bool TryGetAwaited(ITypeSymbol type, out ITypeSymbol awaited, out bool isValueTask)
    {
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } task)
        {
            isValueTask = WellKnownTypes.ValueTaskOfT.Matches(task.OriginalDefinition);
            if (isValueTask || WellKnownTypes.TaskOfT.Matches(task.OriginalDefinition))
            {
                awaited = task.TypeArguments[0];
                return true;
            }
        }
        awaited = type;
        isValueTask = false;
        return false;
    }

    /// <summary>
    /// The diagnostic for a member attribute (<c>[Batch]</c>, <c>[Multiplexed]</c>) on a method of a class that is not a
    /// deployment, where it has no effect; null when the class is a deployment (its parser reads the attribute).
    /// </summary>
    public static DiagnosticInfo? OutsideDeployment(GeneratorAttributeSyntaxContext context, DiagnosticDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || method.ContainingType is not { } type
            || type.GetAttributes().Any(a => WellKnownTypes.DeploymentAttribute.Matches(a.AttributeClass)))
        {
            return null;
        }
        cancellationToken.ThrowIfCancellationRequested();
        return DiagnosticInfo.Create(descriptor, MemberLocation(context.TargetNode), method.Name, type.ToDisplayString());
    }

    public static LocationInfo? MemberLocation(SyntaxNode node) => node switch
    {
        MethodDeclarationSyntax m => LocationInfo.From(m.Identifier.GetLocation()),
        PropertyDeclarationSyntax p => LocationInfo.From(p.Identifier.GetLocation()),
        _ => LocationInfo.From(node),
    };

    public static LocationInfo? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax)
        {
            var argument = syntax.ArgumentList?.Arguments.FirstOrDefault();
            return LocationInfo.From((SyntaxNode?)argument ?? syntax);
        }
        return null;
    }

    public static bool IsAccessibleInAssembly(Accessibility accessibility)
        => accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    public static string MetadataFullName(INamedTypeSymbol type)
        => type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.MetadataName : type.MetadataName;

    public static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
