using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Serve.Generators;

namespace GeneratorScale;

/// <summary>What one N measures, as one line between the child process and the table.</summary>
internal sealed record Result(
    int N,
    double ColdMs,
    long DeploymentBytes,
    long OutputBytes,
    double BuildWithoutMs,
    double BuildWithMs,
    double ServeStepMs,
    double TrivialStepMs,
    double ServeRunMs,
    double TrivialRunMs,
    int ReEmitted,
    int Problems)
{
    private const string Prefix = "RESULT ";

    public string ToLine() => Prefix + string.Join(" ", new object[]
    {
        N, ColdMs, DeploymentBytes, OutputBytes, BuildWithoutMs, BuildWithMs, ServeStepMs, TrivialStepMs, ServeRunMs, TrivialRunMs, ReEmitted, Problems,
    }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));

    public static Result Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException("Not a result line: " + line);
        }
        var f = line[Prefix.Length..].Split(' ');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new Result(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture),
            D(4), D(5), D(6), D(7), D(8), D(9), int.Parse(f[10], CultureInfo.InvariantCulture), int.Parse(f[11], CultureInfo.InvariantCulture));
    }
}

internal static class Measurement
{
    /// <summary>Edits before the measured ones: the JIT and Roslyn's caches settle.</summary>
    private const int WarmupEdits = 3;

    private const int MeasuredEdits = 11;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions s_options = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>The running framework, Serve.Abstractions, protobuf and gRPC's API, as the generator tests reference.</summary>
    private static readonly ImmutableArray<MetadataReference> s_references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(p => !p.Contains(Path.DirectorySeparatorChar + "Microsoft.AspNetCore.App" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        .Concat(new[] { typeof(Serve.Application).Assembly.Location, typeof(Google.Protobuf.IMessage).Assembly.Location, typeof(Grpc.Core.Status).Assembly.Location })
        .Distinct(StringComparer.Ordinal)
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
        .ToImmutableArray();

    public static Result Run(int n)
    {
        var trees = new List<SyntaxTree>();
        for (var i = 0; i < n; i++)
        {
            trees.Add(Parse(Synth.Proto(i), Synth.ProtoPath(i)));
            trees.Add(Parse(Synth.Deployment(i), Synth.DeploymentPath(i)));
        }

        // 1. The first run of a cold compiler, as in a command-line build.
        var cold = Stopwatch.StartNew();
        var coldDriver = CSharpGeneratorDriver.Create(new[] { new ServeGenerator().AsSourceGenerator() }, parseOptions: s_parseOptions)
            .RunGeneratorsAndUpdateCompilation(Compile(trees), out var output, out var generatorDiagnostics);
        var coldMs = cold.Elapsed.TotalMilliseconds;
        var generated = coldDriver.GetRunResult().GeneratedTrees;
        var deploymentBytes = generated.Where(t => t.FilePath.EndsWith(".Serve.g.cs", StringComparison.Ordinal)).Sum(Bytes);
        var outputBytes = generated.Sum(Bytes);

        var problems = generatorDiagnostics.Length + output.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        foreach (var diagnostic in generatorDiagnostics.Concat(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)).Take(10))
        {
            Console.Error.WriteLine(diagnostic);
        }

        // 2. What the output adds to a clean build: emitting fresh compilations without and with it (after a warm-up).
        _ = Emit(Compile(trees));
        var withoutMs = Math.Min(Emit(Compile(trees)), Emit(Compile(trees)));
        var withTrees = trees.Concat(generated).ToList();
        var withMs = Math.Min(Emit(Compile(withTrees)), Emit(Compile(withTrees)));

        // 3. An IDE's driver: the same one-line edit in one deployment's body, over and over, for Serve and for a generator
        //    with the same lookup and a transform that reads nothing, each on its own chain of compilations. Steps are
        //    timed with tracking on; whole runs with it off, as an IDE runs them.
        var serve = new EditChain(new ServeGenerator(), ServeGenerator.TrackingNames.Deployments, trees);
        var trivial = new EditChain(new TrivialGenerator(), TrivialGenerator.StepName, trees);
        var serveRun = new EditChain(new ServeGenerator(), null, trees);
        var trivialRun = new EditChain(new TrivialGenerator(), null, trees);
        var edited = n / 2;
        var serveSteps = new List<double>();
        var trivialSteps = new List<double>();
        var serveRuns = new List<double>();
        var trivialRuns = new List<double>();
        var reEmitted = 0;
        for (var revision = 1; revision <= WarmupEdits + MeasuredEdits; revision++)
        {
            var trivialStep = trivial.Edit(edited, revision).StepMs;
            var (serveStep, _, result) = serve.Edit(edited, revision);
            var trivialRunMs = trivialRun.Edit(edited, revision).RunMs;
            var serveRunMs = serveRun.Edit(edited, revision).RunMs;
            if (revision > WarmupEdits)
            {
                trivialSteps.Add(trivialStep);
                serveSteps.Add(serveStep);
                trivialRuns.Add(trivialRunMs);
                serveRuns.Add(serveRunMs);
                reEmitted = Math.Max(reEmitted, result!.Value.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels]
                    .SelectMany(s => s.Outputs)
                    .Count(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified));
            }
        }

        return new Result(n, coldMs, deploymentBytes, outputBytes, withoutMs, withMs, Median(serveSteps), Median(trivialSteps), Median(serveRuns), Median(trivialRuns), reEmitted, problems);
    }

    private static SyntaxTree Parse(string text, string path) => CSharpSyntaxTree.ParseText(text, s_parseOptions, path);

    private static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees) => CSharpCompilation.Create("GeneratorScale.App", trees, s_references, s_options);

    private static long Bytes(SyntaxTree tree) => System.Text.Encoding.UTF8.GetByteCount(tree.GetText().ToString());

    private static double Emit(Compilation compilation)
    {
        var stopwatch = Stopwatch.StartNew();
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        if (!result.Success)
        {
            throw new InvalidOperationException("The application does not compile: " + result.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error));
        }
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>A generator driver and the compilation it last ran on, edited one file at a time.</summary>
    private sealed class EditChain
    {
        /// <summary>The step to time; null for a driver without tracking.</summary>
        private readonly string? _step;
        private GeneratorDriver _driver;
        private Compilation _compilation;

        public EditChain(IIncrementalGenerator generator, string? step, IEnumerable<SyntaxTree> trees)
        {
            _step = step;
            _compilation = Compile(trees);
            _driver = CSharpGeneratorDriver.Create(
                new[] { generator.AsSourceGenerator() },
                parseOptions: s_parseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: step is not null));
            _driver = _driver.RunGenerators(_compilation);
        }

        /// <summary>Replaces deployment <paramref name="index"/>'s file by its <paramref name="revision"/> and runs the generator.</summary>
        /// <returns>The time of the named step (all its items) and of the whole run, in milliseconds, and the run's result (with tracking).</returns>
        public (double StepMs, double RunMs, GeneratorRunResult? Result) Edit(int index, int revision)
        {
            var path = Synth.DeploymentPath(index);
            var old = _compilation.SyntaxTrees.Single(t => t.FilePath == path);
            _compilation = _compilation.ReplaceSyntaxTree(old, Parse(Synth.EditedDeployment(index, revision), path));
            // The other chains' garbage is collected first, so that a pause for it does not land in this run.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var stopwatch = Stopwatch.StartNew();
            _driver = _driver.RunGenerators(_compilation);
            var runMs = stopwatch.Elapsed.TotalMilliseconds;
            if (_step is null)
            {
                return (0, runMs, null);
            }
            var result = _driver.GetRunResult().Results.Single();
            return (result.TrackedSteps[_step].Sum(s => s.ElapsedTime.TotalMilliseconds), runMs, result);
        }
    }
}
