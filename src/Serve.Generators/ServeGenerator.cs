using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Serve.Generators.Model;
using Serve.Generators.Protobuf;

namespace Serve.Generators;

/// <summary>
/// The Serve source generator. Inputs: <c>[Deployment]</c> classes, <c>[ApplicationBuilder]</c> members and
/// the protobuf descriptors of protoc's C# output. Outputs: per deployment a <c>Bind</c> method, its definition
/// with a reflection-free gRPC dispatch table and HTTP route table (binders, validation, an OpenAPI document),
/// and its typed handle; one module registry; and a diagnostic for every mismatch between a deployment and its
/// services or routes.
/// </summary>
/// <remarks>
/// This file is the pipeline; each feature's parsing, checking and emitting is in its folder (Deployments, Grpc,
/// Http, OpenApi, Batching, Multiplexing, Handles), and ServeGenerator.Steps.cs turns what a step throws into a
/// diagnostic.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class ServeGenerator : IIncrementalGenerator
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
        // gRPC: protobuf descriptors, syntactic only. The node is a stepping stone; for an unchanged file it is the
        // same node, so the (costly) descriptor decoding below is cached.
        var protoFiles = context.SyntaxProvider
            .CreateSyntaxProvider(ProtoParser.IsCandidate, static (ctx, _) => (ClassDeclarationSyntax)ctx.Node)
            .Select(static (node, ct) => ParseProtoFile(node, ct))
            .Where(static file => file is not null)
            .Select(static (file, _) => file!)
            .WithTrackingName(TrackingNames.ProtoFiles);

        var catalog = protoFiles.Collect()
            .Select(static (files, _) => ProtoParser.BuildCatalog(files))
            .WithTrackingName(TrackingNames.ServiceCatalog);

        // Deployments: symbols -> model, without the protos (so proto edits do not re-read symbols).
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
            .Select(static (names, _) => DeploymentBinder.FindDuplicateNames(names))
            .WithTrackingName(TrackingNames.DuplicateNames);

        var results = deployments
            .Combine(catalog)
            .Combine(duplicateNames)
            .Select(static (input, _) =>
            {
                var ((parsed, services), namesakes) = input;
                return BindDeployment(parsed, services, namesakes);
            })
            .WithTrackingName(TrackingNames.DeploymentResults);

        var models = results
            .Select(static (result, _) => result.Model)
            .WithTrackingName(TrackingNames.DeploymentModels);

        // Handles: only the edges of each deployment, so that the graph is re-checked when those change.
        var handleCycles = deployments
            .Select(static (parsed, _) => HandleGraph.Node(parsed.Info))
            .Where(static node => node is not null)
            .Select(static (node, _) => node!)
            .WithTrackingName(TrackingNames.HandleGraph)
            .Collect()
            .Select(static (nodes, _) => FindCycles(nodes))
            .WithTrackingName(TrackingNames.HandleCycles);

        // Application builders, for the registry.
        var builders = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ApplicationBuilderAttribute,
                static (node, _) => node is MethodDeclarationSyntax or PropertyDeclarationSyntax,
                static (ctx, ct) => ParseApplicationBuilder(ctx, ct))
            .Where(static b => b is not null)
            .Select(static (b, _) => b!)
            .WithTrackingName(TrackingNames.ApplicationBuilders);

        // Multiplexing and batching: [Multiplexed] and [Batch] methods outside deployments (those of deployments are
        // read with their deployment).
        var strayMultiplexed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MultiplexedAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ParseStrayMultiplexed(ctx, ct))
            .Where(static d => d is not null)
            .Select(static (d, _) => d!)
            .WithTrackingName(TrackingNames.StrayMultiplexed);

        var strayBatch = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                BatchAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ParseStrayBatch(ctx, ct))
            .Where(static d => d is not null)
            .Select(static (d, _) => d!)
            .WithTrackingName(TrackingNames.StrayBatch);

        // The registry.
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
        // The helpers the deployments' code shares, written once beside the registry (any deployment's, registered or not).
        var sharedHelpers = models
            .Select(static (m, _) => m is null ? SharedHelpersModel.None : SharedHelpers.Of(m))
            .Collect()
            .Select(static (all, _) => SharedHelpers.Union(all));
        var assemblyName = context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "");
        var registry = registeredDeployments
            .Combine(registeredBuilders)
            .Combine(registeredDescriptors)
            .Combine(sharedHelpers)
            .Combine(assemblyName)
            .Select(static (input, _) =>
            {
                var ((((deploymentTypes, builderRegistrations), descriptorClasses), helpers), assembly) = input;
                return BuildRegistry(assembly, deploymentTypes, builderRegistrations, descriptorClasses, helpers);
            })
            .WithTrackingName(TrackingNames.Registry);

        // Outputs. A deployment's file names the shared helper class, which is named after the assembly.
        context.RegisterSourceOutput(models.Combine(assemblyName), static (spc, input) =>
        {
            var (model, assembly) = input;
            if (model is not null)
            {
                AddSource(spc, DeploymentEmitter.HintName(model.FullTypeName) + DeploymentEmitter.DeploymentFileSuffix, () => DeploymentEmitter.Emit(model, assembly), "emitting deployment " + model.FullTypeName);
            }
        });

        context.RegisterSourceOutput(registry, static (spc, model) =>
        {
            if (model.HasRegistrations || !model.Helpers.IsEmpty)
            {
                AddSource(spc, "Serve.ModuleRegistry.g.cs", () => RegistryEmitter.Emit(model), "emitting the module registry");
            }
        });

        // Diagnostics have their own output: every source's, in a fixed order, collected so that each is reported once.
        var diagnostics = Concat(
                Flatten(results.Select(static (r, _) => r.Diagnostics).Collect()),
                Flatten(builders.Select(static (b, _) => b.Diagnostics).Collect()),
                ToArray(protoFiles.Where(static f => f.Diagnostic is not null).Select(static (f, _) => f.Diagnostic!).Collect()),
                ToArray(strayMultiplexed.Collect()),
                handleCycles,
                ToArray(strayBatch.Collect()))
            .Select(static (all, _) => Distinct(all))
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
}
