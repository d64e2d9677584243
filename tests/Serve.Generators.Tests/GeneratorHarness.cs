using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Serve.Generators;

namespace Serve.Generators.Tests;

/// <summary>Builds test compilations from source text, runs the generator, compiles and loads the result.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_withAspNetCore = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[] { typeof(Application).Assembly.Location, typeof(Google.Protobuf.IMessage).Assembly.Location, typeof(Grpc.Core.Status).Assembly.Location })
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    // ASP.NET Core's shared framework is in the test process (for tests of service parameters) but most test
    // compilations do without its ~100 assemblies, which would slow every one of them.
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() => s_withAspNetCore.Value
        .Where(r => !(r.Display ?? "").Contains(Path.DirectorySeparatorChar + "Microsoft.AspNetCore.App" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        .ToImmutableArray());

    /// <summary>What test compilations reference: the running framework, Serve.Abstractions, protobuf and gRPC.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary><see cref="References"/> plus ASP.NET Core's shared framework (Microsoft.Extensions.*, <c>[FromServices]</c>).</summary>
    public static ImmutableArray<MetadataReference> ReferencesWithAspNetCore => s_withAspNetCore.Value;

    /// <summary>The protoc output of a test proto (TestData/*.cs).</summary>
    public static string TestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    public static string UserDefinedProtos => TestData("UserDefinedProtos.cs");

    public static string ShapesProtos => TestData("Shapes.cs");

    /// <summary>A compilation of the given sources, as (path, text) pairs.</summary>
    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) => Compile(s_references.Value, sources);

    /// <summary>A compilation of the given sources that also references ASP.NET Core's shared framework.</summary>
    public static CSharpCompilation CompileWithAspNetCore(params (string Path, string Text)[] sources) => Compile(s_withAspNetCore.Value, sources);

    private static CSharpCompilation Compile(ImmutableArray<MetadataReference> references, (string Path, string Text)[] sources)
        => CSharpCompilation.Create(
            "TestAssembly",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The protos plus one deployment source file.</summary>
    public static CSharpCompilation CompileWithProtos(string source, string path = "Deployment.cs")
        => Compile(("UserDefinedProtos.cs", UserDefinedProtos), ("Shapes.cs", ShapesProtos), (path, source));

    public static GeneratorDriver CreateDriver(bool withJson = false)
        => CSharpGeneratorDriver.Create(
            new[] { new ServeGenerator().AsSourceGenerator() }.Concat(withJson ? s_jsonGenerators.Value : ImmutableArray<ISourceGenerator>.Empty),
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// System.Text.Json's source generator, from the shared framework's reference pack, so that test compilations get
    /// <c>JsonSerializerContext.Default</c> like a real build does.
    /// </summary>
    private static readonly Lazy<ImmutableArray<ISourceGenerator>> s_jsonGenerators = new(() =>
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var version = Environment.Version;
        var pack = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var path = Directory.GetDirectories(pack, version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".*")
            .OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "System.Text.Json.SourceGeneration.dll", SearchOption.AllDirectories))
            .Where(p => p.Contains(Path.DirectorySeparatorChar + "cs" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .LastOrDefault() ?? throw new InvalidOperationException("System.Text.Json.SourceGeneration.dll not found under " + pack);
        var assembly = Assembly.LoadFrom(path);
        return assembly.GetTypes()
            .Where(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => ((IIncrementalGenerator)Activator.CreateInstance(t)!).AsSourceGenerator())
            .ToImmutableArray();
    });

    /// <summary>Runs the generator (and System.Text.Json's with <paramref name="withJson"/>); returns its result and the compilation with the generated sources.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics) Run(Compilation compilation, bool withJson = false)
    {
        var driver = CreateDriver(withJson).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>Generator diagnostics for a deployment source compiled with the test protos.</summary>
    public static ImmutableArray<Diagnostic> GeneratorDiagnostics(string source)
        => Run(CompileWithProtos(source)).GeneratorDiagnostics;

    /// <summary>Runs the generator, requires zero errors and warnings, emits and loads the assembly.</summary>
    public static Assembly BuildAndLoad(string source, bool withJson = false)
        => BuildAndLoad(CompileWithProtos(source), withJson);

    /// <summary>Like <see cref="BuildAndLoad(string, bool)"/>, for several source files (without the test protos).</summary>
    public static Assembly BuildAndLoad(params (string Path, string Text)[] sources)
        => BuildAndLoad(Compile(sources), withJson: false);

    public static Assembly BuildAndLoad(Compilation compilation, bool withJson = false)
    {
        var (_, output, generatorDiagnostics) = Run(compilation, withJson);
        Assert.Empty(generatorDiagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, "Compilation failed:\n" + string.Join("\n", problems));
        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("serve-generator-test-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return context.LoadFromStream(stream);
    }

    /// <summary>The generated source whose hint name ends with <paramref name="suffix"/>.</summary>
    public static string GeneratedSource(GeneratorDriverRunResult result, string hintName)
    {
        var source = result.Results.SelectMany(r => r.GeneratedSources).SingleOrDefault(s => s.HintName == hintName);
        Assert.True(source.SourceText is not null, "No generated source '" + hintName + "'. Generated: "
            + string.Join(", ", result.Results.SelectMany(r => r.GeneratedSources).Select(s => s.HintName)));
        return source.SourceText.ToString();
    }
}
