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
/// The Serve source generator. Inputs: <c>[Deployment]</c> classes, <c>[ApplicationBuilder]</c> members and
/// the protobuf descriptors of protoc's C# output. Outputs: per deployment a <c>Bind</c> method, a
/// reflection-free gRPC dispatch table and HTTP route table (binders, validation, an OpenAPI document);
/// per proto service method descriptors and a client; one module registry; and a diagnostic for every
/// mismatch between a deployment and its services or routes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ServeGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps (for tests).</summary>
    public static class TrackingNames
    {
        /// <summary>Descriptors read from <c>*Reflection</c> classes.</summary>
        public const string ProtoFiles = nameof(ProtoFiles);
        /// <summary>All services with resolved message types.</summary>
        public const string ServiceCatalog = nameof(ServiceCatalog);
        /// <summary><c>[Deployment]</c> classes read from symbols.</summary>
        public const string Deployments = nameof(Deployments);
        /// <summary>Deployments checked against the services.</summary>
        public const string DeploymentResults = nameof(DeploymentResults);
        /// <summary>What is emitted per deployment.</summary>
        public const string DeploymentModels = nameof(DeploymentModels);
        /// <summary><c>[ApplicationBuilder]</c> members.</summary>
        public const string ApplicationBuilders = nameof(ApplicationBuilders);
        /// <summary><c>[Multiplexed]</c> methods outside deployments.</summary>
        public const string StrayMultiplexed = nameof(StrayMultiplexed);
        /// <summary><c>[Batch]</c> methods outside deployments.</summary>
        public const string StrayBatch = nameof(StrayBatch);
        /// <summary>The module registry.</summary>
        public const string Registry = nameof(Registry);
        /// <summary>Per deployment: the deployments its constructor takes handles to.</summary>
        public const string HandleGraph = nameof(HandleGraph);
        /// <summary>Cycles in the handle graph of all deployments.</summary>
        public const string HandleCycles = nameof(HandleCycles);
        /// <summary>Per deployment: its name and class.</summary>
        public const string DeploymentNames = nameof(DeploymentNames);
        /// <summary>The deployments whose name another deployment class has too.</summary>
        public const string DuplicateNames = nameof(DuplicateNames);
        /// <summary>Every diagnostic to report, each once.</summary>
        public const string Diagnostics = nameof(Diagnostics);
        /// <summary>The syntax trees the diagnostics point into (re-found in each compilation).</summary>
        public const string DiagnosticTrees = nameof(DiagnosticTrees);
        /// <summary>The diagnostics with their trees: the input of the output that reports them.</summary>
        public const string ReportedDiagnostics = nameof(ReportedDiagnostics);
    }

    private const string DeploymentAttribute = "Serve.DeploymentAttribute";
    private const string ApplicationBuilderAttribute = "Serve.ApplicationBuilderAttribute";
    private const string MultiplexedAttribute = "Serve.MultiplexedAttribute";
    private const string BatchAttribute = "Serve.BatchAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Protobuf descriptors: syntactic only. The node is a stepping stone; for an unchanged file it is the
        //    same node, so the (costly) descriptor decoding below is cached.
        var protoFiles = context.SyntaxProvider
            .CreateSyntaxProvider(ProtoParser.IsCandidate, static (ctx, _) => (ClassDeclarationSyntax)ctx.Node)
            .Select(static (node, ct) => ParseProtoFile(node, ct))
            .Where(static file => file is not null)
            .Select(static (file, _) => file!)
            .WithTrackingName(TrackingNames.ProtoFiles);

        var catalog = protoFiles.Collect()
            .Select(static (files, _) => ProtoParser.BuildCatalog(files))
            .WithTrackingName(TrackingNames.ServiceCatalog);

        // 2. Deployments: symbols -> model, without the protos (so proto edits do not re-read symbols).
        var deployments = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DeploymentAttribute,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => ParseDeployment(ctx, ct))
            .WithTrackingName(TrackingNames.Deployments);

        // Deployment names used by two classes. Names only (no locations), so the binding below re-runs only when a
        // deployment is added, removed or renamed, and then only if the clashes changed.
        var duplicateNames = deployments
            .Select(static (parsed, _) => parsed.Info is { } info ? new DeploymentNameInfo(info.DeploymentName, info.FullTypeName) : null)
            .Where(static name => name is not null)
            .Select(static (name, _) => name!)
            .WithTrackingName(TrackingNames.DeploymentNames)
            .Collect()
            .Select(static (names, _) => DuplicateNames(names))
            .WithTrackingName(TrackingNames.DuplicateNames);

        var results = deployments.Combine(catalog).Combine(duplicateNames)
            .Select(static (input, _) => BindDeployment(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(TrackingNames.DeploymentResults);

        var models = results
            .Select(static (result, _) => result.Model)
            .WithTrackingName(TrackingNames.DeploymentModels);

        // The handle graph: only the edges of each deployment, so that it is re-checked when those change.
        var handleCycles = deployments
            .Select(static (parsed, _) => GraphNode(parsed.Info))
            .Where(static node => node is not null)
            .Select(static (node, _) => node!)
            .WithTrackingName(TrackingNames.HandleGraph)
            .Collect()
            .Select(static (nodes, _) => FindCycles(nodes))
            .WithTrackingName(TrackingNames.HandleCycles);

        // 3. Application builders.
        var builders = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ApplicationBuilderAttribute,
                static (node, _) => node is MethodDeclarationSyntax or PropertyDeclarationSyntax,
                static (ctx, ct) => ParseApplicationBuilder(ctx, ct))
            .Where(static b => b is not null)
            .Select(static (b, _) => b!)
            .WithTrackingName(TrackingNames.ApplicationBuilders);

        // 4. [Multiplexed] methods outside deployments (those of deployments are read with their deployment).
        var strayMultiplexed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MultiplexedAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ParseStrayMultiplexed(ctx, ct))
            .Where(static d => d is not null)
            .Select(static (d, _) => d!)
            .WithTrackingName(TrackingNames.StrayMultiplexed);

        // 4b. [Batch] methods outside deployments, likewise.
        var strayBatch = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                BatchAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ParseStrayBatch(ctx, ct))
            .Where(static d => d is not null)
            .Select(static (d, _) => d!)
            .WithTrackingName(TrackingNames.StrayBatch);

        // 5. The registry.
        var registeredDeployments = models
            .Where(static m => m is { IsRegistrable: true })
            .Select(static (m, _) => m!.GlobalTypeName)
            .Collect();
        var registeredBuilders = builders
            .Where(static b => b.IsValid)
            .Select(static (b, _) => new ApplicationBuilderRegistration(b.ImportPath, b.Expression))
            .Collect();
        var registeredDescriptors = protoFiles
            .Where(static f => f.Diagnostic is null && f.DescriptorClass.Length > 0)
            .Select(static (f, _) => f.DescriptorClass)
            .Collect();
        var assemblyName = context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "");
        var registry = registeredDeployments.Combine(registeredBuilders).Combine(registeredDescriptors).Combine(assemblyName)
            .Select(static (input, _) => BuildRegistry(input.Right, input.Left.Left.Left, input.Left.Left.Right, input.Left.Right))
            .WithTrackingName(TrackingNames.Registry);

        // Outputs. Diagnostics have their own output, collected so that each is reported once.
        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            if (model is not null)
            {
                AddSource(spc, Emitter.HintName(model.FullTypeName) + Emitter.DeploymentFileSuffix, () => Emitter.EmitDeployment(model), "emitting deployment " + model.FullTypeName);
            }
        });

        context.RegisterSourceOutput(registry, static (spc, model) =>
        {
            if (model.Deployments.Count > 0 || model.Builders.Count > 0 || model.FileDescriptors.Count > 0)
            {
                AddSource(spc, "Serve.ModuleRegistry.g.cs", () => Emitter.EmitRegistry(model), "emitting the module registry");
            }
        });

        var diagnostics = results.Select(static (r, _) => r.Diagnostics).Collect()
            .Combine(builders.Select(static (b, _) => b.Diagnostics).Collect())
            .Combine(protoFiles.Where(static f => f.Diagnostic is not null).Select(static (f, _) => f.Diagnostic!).Collect())
            .Combine(strayMultiplexed.Collect())
            .Combine(handleCycles)
            .Combine(strayBatch.Collect())
            .Select(static (input, _) => Distinct(input.Left.Left.Left.Left.Left.SelectMany(d => d)
                .Concat(input.Left.Left.Left.Left.Right.SelectMany(d => d))
                .Concat(input.Left.Left.Left.Right)
                .Concat(input.Left.Left.Right)
                .Concat(input.Left.Right)
                .Concat(input.Right)))
            .WithTrackingName(TrackingNames.Diagnostics);

        // The trees the diagnostics point into. Only this cheap lookup runs for every compilation (the models never
        // see one); it yields the same trees, and so leaves the output cached, unless a file holding a diagnostic changed.
        var diagnosticTrees = diagnostics
            .Select(static (all, _) => DiagnosticTrees.Paths(all))
            .Combine(context.CompilationProvider)
            .Select(static (input, ct) => DiagnosticTrees.Find(input.Left, input.Right, ct))
            .WithTrackingName(TrackingNames.DiagnosticTrees);

        context.RegisterSourceOutput(diagnostics.Combine(diagnosticTrees).WithTrackingName(TrackingNames.ReportedDiagnostics), static (spc, input) =>
        {
            var (all, trees) = input;
            foreach (var diagnostic in all)
            {
                spc.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.ById(diagnostic.Id),
                    diagnostic.Location is { } location ? location.ToLocation(trees.Get(location.FilePath)) : Location.None,
                    diagnostic.Arguments.Cast<object>().ToArray()));
            }
        });
    }

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
            return (Parser.ParseDeployment(context, cancellationToken), null);
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
            return Binder.Bind(parsed.Info, catalog, duplicateNames);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new DeploymentResult(null, new EquatableArray<DiagnosticInfo>(new[] { Failure(parsed.Info.Location, "binding deployment " + parsed.Info.FullTypeName, ex) }));
        }
    }

    /// <summary>
    /// The deployments whose name (ordinal, as the runtime compares them) another class has too, ordinal-sorted. A class
    /// read twice (two [Deployment] declarations, which the compiler reports) is one class.
    /// </summary>
    private static EquatableArray<DeploymentNameInfo> DuplicateNames(ImmutableArray<DeploymentNameInfo> names)
        => names.Distinct()
            .GroupBy(n => n.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .SelectMany(g => g)
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ThenBy(n => n.FullTypeName, StringComparer.Ordinal)
            .ToEquatableArray();

    private static HandleGraphNode? GraphNode(DeploymentInfo? info)
    {
        if (info is null || info.HandleParameters.IsEmpty)
        {
            return null;
        }
        var dependencies = info.HandleParameters.Where(p => p.TargetIsDeployment).Select(p => p.Target).ToEquatableArray();
        return dependencies.IsEmpty ? null : new HandleGraphNode(info.GlobalTypeName, info.FullTypeName, dependencies, info.Location);
    }

    private static EquatableArray<DiagnosticInfo> FindCycles(ImmutableArray<HandleGraphNode> nodes)
    {
        try
        {
            return HandleBinder.FindCycles(nodes);
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
            return Parser.ParseApplicationBuilder(context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ApplicationBuilderModel(context.TargetSymbol.Name, "",
                new EquatableArray<DiagnosticInfo>(new[] { Failure(LocationInfo.From(context.TargetNode), "reading application builder " + context.TargetSymbol.Name, ex) }));
        }
    }

    private static RegistryModel BuildRegistry(string assemblyName, ImmutableArray<string> deployments, ImmutableArray<ApplicationBuilderRegistration> builders, ImmutableArray<string> descriptors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return new RegistryModel(
            assemblyName,
            deployments.Distinct().OrderBy(d => d, StringComparer.Ordinal).ToEquatableArray(),
            builders.OrderBy(b => b.ImportPath, StringComparer.Ordinal).Where(b => seen.Add(b.ImportPath)).ToEquatableArray(),
            descriptors.Distinct().OrderBy(d => d, StringComparer.Ordinal).ToEquatableArray());
    }

    private static DiagnosticInfo? ParseStrayMultiplexed(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return Parser.ParseStrayMultiplexed(context, cancellationToken);
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
            return Parser.ParseStrayBatch(context, cancellationToken);
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
