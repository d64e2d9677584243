using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeneratorScale;

/// <summary>
/// The floor for the per-edit cost: the same <c>ForAttributeWithMetadataName</c> lookup as Serve's deployment step,
/// with a transform that reads nothing. What the lookup itself costs (a semantic model per file, the declared
/// symbol, its attributes) it pays too. Run through a driver only (no [Generator]: it is not an analyzer).
/// </summary>
internal sealed class TrivialGenerator : IIncrementalGenerator
{
    public const string StepName = "Deployments";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var deployments = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Serve.DeploymentAttribute",
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, _) => ctx.TargetSymbol.Name)
            .WithTrackingName(StepName);
        // An output, so that the step runs at all.
        context.RegisterSourceOutput(deployments, static (_, _) => { });
    }
}
