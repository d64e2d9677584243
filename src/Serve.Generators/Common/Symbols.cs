using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Symbol helpers every parser uses: display formats, locations, accessibility, identifiers.</summary>
internal static class Symbols
{
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    public static readonly SymbolDisplayFormat AnnotatedTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

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
