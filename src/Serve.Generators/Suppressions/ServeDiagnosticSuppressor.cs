using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Serve.Generators;

/// <summary>
/// Suppresses advice that would break Serve's binding of a <c>[Deployment]</c> class: CA1822 ("mark members as static")
/// on a method that Serve's generated code calls on the deployment instance — a method serving an RPC or an HTTP route,
/// a <c>[Multiplexed]</c> model loader or a <c>[Batch]</c> method. Such a method must stay an instance method (a static
/// one cannot serve an RPC: SERVE0008), even when it reads no instance data.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ServeDiagnosticSuppressor : DiagnosticSuppressor
{
    /// <summary>The suppression of CA1822 on bound methods (SERVESP0001, documented in docs/diagnostics.md).</summary>
    public static readonly SuppressionDescriptor BoundMethodNotStatic = new(
        "SERVESP0001",
        "CA1822",
        "Serve calls this method on the deployment instance (it serves an RPC or HTTP route, loads a multiplexed model or runs a batch); a static method would not be bound");

    private const string DeploymentAttribute = "Serve.DeploymentAttribute";

    /// <inheritdoc />
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ImmutableArray.Create(BoundMethodNotStatic);

    /// <inheritdoc />
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        var deploymentAttribute = context.Compilation.GetTypeByMetadataName(DeploymentAttribute);
        if (deploymentAttribute is null)
        {
            return;
        }
        // Per deployment class, what its generated code calls; found once, whatever the number of diagnostics.
        var boundByType = new Dictionary<INamedTypeSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            if (diagnostic.Id != BoundMethodNotStatic.SuppressedDiagnosticId || diagnostic.Location.SourceTree is not { } tree)
            {
                continue;
            }
            var node = tree.GetRoot(context.CancellationToken).FindNode(diagnostic.Location.SourceSpan);
            if (node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } declaration
                || context.GetSemanticModel(tree).GetDeclaredSymbol(declaration, context.CancellationToken) is not { IsStatic: false } method
                || !method.ContainingType.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, deploymentAttribute)))
            {
                continue;
            }
            if (!boundByType.TryGetValue(method.ContainingType, out var bound))
            {
                boundByType[method.ContainingType] = bound = CalledByGeneratedCode(method.ContainingType, context);
            }
            if (bound.Any(b => SymbolEqualityComparer.Default.Equals(b, method)))
            {
                context.ReportSuppression(Suppression.Create(BoundMethodNotStatic, diagnostic));
            }
        }
    }

    /// <summary>
    /// The instance methods of <paramref name="type"/> that the generated part of the class calls on an instance
    /// (<c>((T)instance).Method(...)</c> in its invokers, model cache and batch queues) — exactly what Serve bound.
    /// Calls from the typed handle extensions, a separate class, do not count.
    /// </summary>
    private static List<IMethodSymbol> CalledByGeneratedCode(INamedTypeSymbol type, SuppressionAnalysisContext context)
    {
        var called = new List<IMethodSymbol>();
        var names = new HashSet<string>(type.GetMembers().OfType<IMethodSymbol>().Where(m => !m.IsStatic).Select(m => m.Name), StringComparer.Ordinal);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (!reference.SyntaxTree.FilePath.EndsWith(DeploymentEmitter.DeploymentFileSuffix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            SemanticModel? model = null;
            foreach (var invocation in reference.GetSyntax(context.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                // Names first: binding every generated call would be wasted work.
                if (invocation.Expression is not MemberAccessExpressionSyntax access || !names.Contains(access.Name.Identifier.ValueText))
                {
                    continue;
                }
                model ??= context.GetSemanticModel(reference.SyntaxTree);
                if (model.GetSymbolInfo(invocation, context.CancellationToken).Symbol is IMethodSymbol { IsStatic: false } target
                    && SymbolEqualityComparer.Default.Equals(target.ContainingType, type))
                {
                    called.Add(target.OriginalDefinition);
                }
            }
        }
        return called;
    }
}
