using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Serve.Generators.Model;
using Serve.Generators.Protobuf;

namespace Serve.Generators;

/// <summary>
/// The pipeline's steps: each calls its feature's parser, binder or emitter, and turns an exception into a
/// diagnostic (a generator that throws takes the build down with an unhelpful message); and the plumbing that
/// gathers the diagnostics.
/// </summary>
public sealed partial class ServeGenerator
{
    /// <summary>Joins lists of diagnostics in order, each provider's after the one before.</summary>
    private static IncrementalValueProvider<EquatableArray<DiagnosticInfo>> Concat(params IncrementalValueProvider<EquatableArray<DiagnosticInfo>>[] sources)
    {
        var joined = sources[0];
        for (var i = 1; i < sources.Length; i++)
        {
            joined = joined.Combine(sources[i]).Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray());
        }
        return joined;
    }

    private static IncrementalValueProvider<EquatableArray<DiagnosticInfo>> Flatten(IncrementalValueProvider<ImmutableArray<EquatableArray<DiagnosticInfo>>> lists)
        => lists.Select(static (all, _) => all.SelectMany(d => d).ToEquatableArray());

    private static IncrementalValueProvider<EquatableArray<DiagnosticInfo>> ToArray(IncrementalValueProvider<ImmutableArray<DiagnosticInfo>> diagnostics)
        => diagnostics.Select(static (all, _) => all.ToEquatableArray());

    /// <summary>The diagnostics in order, each once (a class parsed once per attribute can report one twice).</summary>
    private static EquatableArray<DiagnosticInfo> Distinct(IEnumerable<DiagnosticInfo> diagnostics)
    {
        var seen = new HashSet<DiagnosticInfo>();
        return diagnostics.Where(seen.Add).ToEquatableArray();
    }

    private static ProtoFileModel? ParseProtoFile(ClassDeclarationSyntax node, CancellationToken cancellationToken)
    {
        try
        {
            return ProtoParser.Parse(node, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ProtoParser.Failed(node, Failure(LocationInfo.From(node.Identifier.GetLocation()), "reading the protobuf descriptor of " + node.Identifier.ValueText, ex));
        }
    }

    private static (DeploymentInfo? Info, DiagnosticInfo? Failure) ParseDeployment(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return (DeploymentCache.GetOrParse(context, DeploymentParser.Parse, cancellationToken), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, Failure(LocationInfo.From(context.TargetNode), "reading deployment " + context.TargetSymbol.Name, ex));
        }
    }

    private static DeploymentResult BindDeployment((DeploymentInfo? Info, DiagnosticInfo? Failure) parsed, ServiceCatalog catalog, EquatableArray<DeploymentNameInfo> duplicateNames)
    {
        if (parsed.Info is null)
        {
            return new DeploymentResult(null, parsed.Failure is null ? EquatableArray<DiagnosticInfo>.Empty : new EquatableArray<DiagnosticInfo>(new[] { parsed.Failure }));
        }
        try
        {
            return DeploymentBinder.Bind(parsed.Info, catalog, duplicateNames);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new DeploymentResult(null, new EquatableArray<DiagnosticInfo>(new[] { Failure(parsed.Info.Location, "binding deployment " + parsed.Info.FullTypeName, ex) }));
        }
    }

    private static EquatableArray<DiagnosticInfo> FindCycles(ImmutableArray<HandleGraphNode> nodes)
    {
        try
        {
            return HandleGraph.FindCycles(nodes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new EquatableArray<DiagnosticInfo>(new[] { Failure(null, "checking the deployment handle graph for cycles", ex) });
        }
    }

    private static ApplicationBuilderModel? ParseApplicationBuilder(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return ApplicationBuilderParser.Parse(context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ApplicationBuilderModel(context.TargetSymbol.Name, "",
                new EquatableArray<DiagnosticInfo>(new[] { Failure(LocationInfo.From(context.TargetNode), "reading application builder " + context.TargetSymbol.Name, ex) }));
        }
    }

    private static RegistryModel BuildRegistry(
        string assemblyName,
        ImmutableArray<string> deployments,
        ImmutableArray<ApplicationBuilderRegistration> builders,
        ImmutableArray<string> descriptors,
        SharedHelpersModel helpers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return new RegistryModel(
            assemblyName,
            deployments.Distinct().OrderBy(d => d, StringComparer.Ordinal).ToEquatableArray(),
            builders.OrderBy(b => b.ImportPath, StringComparer.Ordinal).Where(b => seen.Add(b.ImportPath)).ToEquatableArray(),
            descriptors.Distinct().OrderBy(d => d, StringComparer.Ordinal).ToEquatableArray(),
            helpers);
    }

    private static DiagnosticInfo? ParseStrayMultiplexed(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return MultiplexingParser.ParseStrayMultiplexed(context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failure(LocationInfo.From(context.TargetNode), "reading [Multiplexed] method " + context.TargetSymbol.Name, ex);
        }
    }

    private static DiagnosticInfo? ParseStrayBatch(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return BatchParser.ParseStrayBatch(context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failure(LocationInfo.From(context.TargetNode), "reading [Batch] method " + context.TargetSymbol.Name, ex);
        }
    }

    private static void AddSource(SourceProductionContext context, string hintName, Func<string> emit, string activity)
    {
        string source;
        try
        {
            source = emit();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, activity, ex.GetType().Name + ": " + ex.Message));
            return;
        }
        try
        {
            context.AddSource(hintName, SourceText.From(source, System.Text.Encoding.UTF8));
        }
        catch (ArgumentException)
        {
            // The same hint twice: a class with two [Deployment] declarations, which the compiler already reports (CS0579).
        }
    }

    private static DiagnosticInfo Failure(LocationInfo? location, string activity, Exception ex)
        => DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, location, activity, ex.GetType().Name + ": " + ex.Message);
}
