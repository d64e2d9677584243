using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Serve.Generators.Model;

namespace Serve.Generators;

/// <summary>Reads <c>[ApplicationBuilder]</c> members, which the module registry registers by import path.</summary>
internal static class ApplicationBuilderParser
{
    /// <summary>Reads an <c>[ApplicationBuilder]</c> member.</summary>
    public static ApplicationBuilderModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var member = context.TargetSymbol;
        var type = member.ContainingType;
        if (type is null)
        {
            return null;
        }
        var typeNames = new List<string>();
        var typeOk = true;
        for (var t = type; t is not null; t = t.ContainingType)
        {
            typeNames.Insert(0, t.Name);
            typeOk &= t.TypeParameters.Length == 0 && Symbols.IsAccessibleInAssembly(t.DeclaredAccessibility);
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var importPath = (ns.Length == 0 ? "" : ns + ".") + string.Join(".", typeNames) + ":" + member.Name;
        var target = type.ToDisplayString(Symbols.TypeFormat) + "." + Symbols.EscapeIdentifier(member.Name);

        string? problem = null;
        string expression = "";
        ITypeSymbol? returnType = member switch
        {
            IMethodSymbol m => m.ReturnType,
            IPropertySymbol p => p.Type,
            _ => null,
        };
        if (!member.IsStatic)
        {
            problem = "is not static";
        }
        else if (!typeOk)
        {
            problem = "is declared in a generic, private or protected type";
        }
        else if (!Symbols.IsAccessibleInAssembly(member.DeclaredAccessibility))
        {
            problem = "is private or protected";
        }
        else if (!WellKnownTypes.Application.IsBaseOf(returnType))
        {
            problem = "does not return Serve.Application";
        }
        else if (member is IMethodSymbol method)
        {
            if (method.IsGenericMethod)
            {
                problem = "is generic";
            }
            else if (method.Parameters.Length == 0)
            {
                expression = target + "()";
            }
            else if (method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.None
                && WellKnownTypes.ApplicationArgs.Matches(method.Parameters[0].Type))
            {
                expression = target + "(args)";
            }
            else
            {
                problem = "has parameters other than one Serve.ApplicationArgs";
            }
        }
        else if (member is IPropertySymbol property)
        {
            if (property.GetMethod is null || !Symbols.IsAccessibleInAssembly(property.GetMethod.DeclaredAccessibility) || property.IsIndexer)
            {
                problem = "has no public or internal getter";
            }
            else
            {
                expression = target;
            }
        }

        var diagnostics = problem is null
            ? EquatableArray<DiagnosticInfo>.Empty
            : new EquatableArray<DiagnosticInfo>(new[]
            {
                DiagnosticInfo.Create(DiagnosticDescriptors.InvalidApplicationBuilder, Symbols.MemberLocation(context.TargetNode), importPath, problem),
            });
        return new ApplicationBuilderModel(importPath, problem is null ? expression : "", diagnostics);
    }
}
