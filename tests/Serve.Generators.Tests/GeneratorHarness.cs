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

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[] { typeof(Application).Assembly.Location, typeof(Google.Protobuf.IMessage).Assembly.Location })
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>The protoc output of a test proto (TestData/*.cs).</summary>
    public static string TestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    public static string UserDefinedProtos => TestData("UserDefinedProtos.cs");

    public static string ShapesProtos => TestData("Shapes.cs");

    /// <summary>A compilation of the given sources, as (path, text) pairs.</summary>
    public static CSharpCompilation Compile(params (string Path, string Text)[] sources)
        => CSharpCompilation.Create(
            "TestAssembly",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The protos plus one deployment source file.</summary>
    public static CSharpCompilation CompileWithProtos(string source, string path = "Deployment.cs")
        => Compile(("UserDefinedProtos.cs", UserDefinedProtos), ("Shapes.cs", ShapesProtos), (path, source));

    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            new[] { new ServeGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation with the generated sources.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics) Run(Compilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>Generator diagnostics for a deployment source compiled with the test protos.</summary>
    public static ImmutableArray<Diagnostic> GeneratorDiagnostics(string source)
        => Run(CompileWithProtos(source)).GeneratorDiagnostics;

    /// <summary>Runs the generator, requires zero errors and warnings, emits and loads the assembly.</summary>
    public static Assembly BuildAndLoad(string source)
    {
        var (_, output, generatorDiagnostics) = Run(CompileWithProtos(source));
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
        var source = result.Results.Single().GeneratedSources.SingleOrDefault(s => s.HintName == hintName);
        Assert.True(source.SourceText is not null, "No generated source '" + hintName + "'. Generated: "
            + string.Join(", ", result.Results.Single().GeneratedSources.Select(s => s.HintName)));
        return source.SourceText.ToString();
    }
}
