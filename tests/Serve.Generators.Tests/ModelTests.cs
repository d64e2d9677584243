using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Serve.Generators.Tests;

/// <summary>
/// What the incremental pipeline caches must not hold a symbol, syntax node, tree-bound location, syntax tree,
/// compilation or semantic model: those keep whole compilations alive between runs and, compared by reference,
/// never let a step be cached. Checked on every type of the model namespace and on the runtime type of every value
/// a named step produced, recursively through fields, generic arguments and arrays.
/// </summary>
public class ModelTests
{
    private const string ModelNamespace = "Serve.Generators.Model";

    private static readonly Type[] s_forbidden =
        [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxToken), typeof(Location), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel)];

    /// <summary>
    /// The one pipeline value that holds trees, by design: outside the model namespace, re-found in every compilation
    /// and read only by the output that reports diagnostics at tree-bound locations.
    /// </summary>
    private static readonly Type s_diagnosticTrees = typeof(ServeGenerator).Assembly.GetType("Serve.Generators.DiagnosticTrees", throwOnError: true)!;

    [Fact]
    public void No_model_type_holds_a_symbol_syntax_or_compilation()
    {
        var models = typeof(ServeGenerator).Assembly.GetTypes().Where(t => t.Namespace == ModelNamespace).ToList();
        Assert.Contains(models, t => t.Name == "DeploymentInfo");
        Assert.Contains(models, t => t.Name == "LocationInfo");
        var problems = models.SelectMany(t => Problems(t)).Distinct().ToList();
        Assert.True(problems.Count == 0, "Model types hold compiler objects:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void No_value_the_pipeline_produced_holds_a_symbol_syntax_or_compilation()
    {
        // Deployments with gRPC, HTTP, handles, multiplexing and batching, application builders and every kind of
        // diagnostic source, so that every named step produces values.
        var compilation = GeneratorHarness.Compile(
            ("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos),
            ("Shapes.cs", GeneratorHarness.ShapesProtos),
            ("Quickstart.cs", TestSources.Quickstart),
            ("Composition.cs", TestSources.Composition),
            ("Http.cs", TestSources.Http),
            ("Batch.cs", BatchSources.Deployments),
            ("Strays.cs", """
                using System.Collections.Generic;
                using Serve;
                namespace Strays;
                public class NotADeployment
                {
                    [Multiplexed] public string Load(string id) => id;
                    [Batch] public int[] Score(IReadOnlyList<int> items) => [.. items];
                }
                [Deployment] public partial class Timeouts { public int Timeout(int seconds) => seconds; }
                public static class Apps { [ApplicationBuilder] public static Application App => Timeouts.Bind(); }
                """));
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.Diagnostics, d => d.Id == "SERVE0022");

        var named = typeof(ServeGenerator.TrackingNames).GetFields().Select(f => (string)f.GetValue(null)!).ToList();
        var problems = new List<string>();
        foreach (var step in named)
        {
            Assert.True(result.TrackedSteps.TryGetValue(step, out var runs), "Step " + step + " produced nothing: add a source that exercises it");
            var types = runs.SelectMany(r => r.Outputs).Select(o => o.Value.GetType()).Distinct();
            problems.AddRange(types.SelectMany(t => Problems(t, step + ": ")));
        }
        Assert.True(problems.Count == 0, "Pipeline values hold compiler objects:\n" + string.Join("\n", problems.Distinct()));
        Assert.NotEqual(ModelNamespace, s_diagnosticTrees.Namespace);
    }

    [Fact]
    public void The_check_finds_compiler_objects_through_generic_arguments_arrays_and_nested_types()
    {
        Assert.Equal(
            new[]
            {
                "Outer.Inners -> ImmutableArray`1 -> Inner.Symbols -> ISymbol[] -> ISymbol",
                "Outer.Node -> Nullable`1 -> Wrapper.Node -> SyntaxNode",
                "Outer.Trees -> Dictionary`2 -> SyntaxTree",
            },
            Problems(typeof(Outer)).Order(StringComparer.Ordinal));
        Assert.Empty(Problems(typeof(Inner).GetProperty(nameof(Inner.Name))!.PropertyType));
    }

    private sealed record Inner(string Name, ISymbol[] Symbols);

    private readonly record struct Wrapper(SyntaxNode Node);

    private sealed record Outer(ImmutableArray<Inner> Inners, Wrapper? Node, Dictionary<string, SyntaxTree> Trees, int Count);

    /// <summary>Paths from <paramref name="root"/> to a forbidden type, through fields (records' properties are backed by fields).</summary>
    private static IEnumerable<string> Problems(Type root, string prefix = "")
    {
        var found = new List<string>();
        Visit(root, prefix + Name(root), new HashSet<Type>());
        return found;

        void Visit(Type type, string path, HashSet<Type> seen)
        {
            if (s_forbidden.FirstOrDefault(f => f.IsAssignableFrom(type) || (type.IsArray && f.IsAssignableFrom(type.GetElementType()!))) is { } forbidden)
            {
                found.Add(path + (type.IsArray ? " -> " + Name(forbidden) : type == forbidden ? "" : " (" + Name(forbidden) + ")"));
                return;
            }
            if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == s_diagnosticTrees || !seen.Add(type))
            {
                return;
            }
            if (type.IsArray)
            {
                Visit(type.GetElementType()!, path + " -> " + Name(type.GetElementType()!), seen);
                return;
            }
            foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
            {
                Visit(argument, path + " -> " + Name(argument), seen);
            }
            // Inside the generator's and the tests' own types, every field; framework and Roslyn value types
            // (TextSpan, ImmutableArray<T>) are judged by their generic arguments above.
            if (type.Assembly == typeof(ServeGenerator).Assembly || type.Assembly == typeof(ModelTests).Assembly)
            {
                foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    Visit(field.FieldType, path + "." + MemberName(field) + " -> " + Name(field.FieldType), seen);
                }
            }
        }
    }

    private static string MemberName(FieldInfo field)
        => field.Name.StartsWith('<') ? field.Name[1..field.Name.IndexOf('>', StringComparison.Ordinal)] : field.Name;

    private static string Name(Type type) => type.Name;
}
