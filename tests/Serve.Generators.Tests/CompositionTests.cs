using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Serve.Dispatch;

namespace Serve.Generators.Tests;

/// <summary>
/// Typed handles and application graphs: the generated <c>Bind</c> and handle methods, compiled with code that calls them
/// (TestSources.CompositionDriver) and run against an in-process <see cref="HandleTarget"/>.
/// </summary>
public class CompositionTests
{
    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHarness.BuildAndLoad(
        ("Composition.cs", TestSources.Composition), ("Driver.cs", TestSources.CompositionDriver)));

    [Fact]
    public void Bind_returns_a_typed_application_whose_handle_parameters_take_bound_deployments()
    {
        var bind = DeploymentType("Classifier").GetMethod("Bind")!;
        Assert.Equal(typeof(Application<>).MakeGenericType(DeploymentType("Classifier")), bind.ReturnType);
        Assert.Equal(
            new[] { typeof(Application<>).MakeGenericType(DeploymentType("Downloader")), typeof(Application<>).MakeGenericType(DeploymentType("Preprocessor")), typeof(string) },
            bind.GetParameters().Select(p => p.ParameterType));
        Assert.Equal(new[] { "downloader", "preprocessor", "label" }, bind.GetParameters().Select(p => p.Name));

        var downloader = Bind("Downloader");
        var preprocessor = Bind("Preprocessor", 2);
        var application = Bind("Classifier", downloader, preprocessor, "digit");
        Assert.IsType(typeof(Application<>).MakeGenericType(DeploymentType("Classifier")), application);
        Assert.Equal(new[] { downloader, preprocessor }, application.Children);
        Assert.Equal(new object?[] { downloader, preprocessor, "digit" }, application.Arguments);
        Assert.Equal(3, application.Deployment.BindParameterCount);
        Assert.Equal("preprocessor", preprocessor.Name);
    }

    [Fact]
    public void Bind_rejects_null_handles()
    {
        var bind = DeploymentType("Classifier").GetMethod("Bind")!;
        var missingDownloader = Assert.Throws<TargetInvocationException>(() => bind.Invoke(null, [null, Bind("Preprocessor", 1), "x"]));
        Assert.Equal("downloader", Assert.IsType<ArgumentNullException>(missingDownloader.InnerException).ParamName);
        // A nullable-annotated handle parameter still needs a deployment: the runtime creates a handle for every child.
        var missingPreprocessor = Assert.Throws<TargetInvocationException>(() => bind.Invoke(null, [Bind("Downloader"), null, "x"]));
        Assert.Equal("preprocessor", Assert.IsType<ArgumentNullException>(missingPreprocessor.InnerException).ParamName);
    }

    [Fact]
    public void CreateInstance_passes_a_handle_for_every_bound_deployment()
    {
        var downloader = Bind("Downloader");
        var application = Bind("Classifier", downloader, Bind("Preprocessor", 2), "digit");
        var graph = new LocalGraph();
        var instance = application.CreateInstance(child => child.CreateHandle(graph.TargetOf(child)), Serve.Dispatch.DeploymentServices.None);
        Assert.IsType(DeploymentType("Classifier"), instance);
        var handle = DeploymentType("Classifier").GetField("_downloader", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(instance)!;
        Assert.IsType(typeof(DeploymentHandle<>).MakeGenericType(DeploymentType("Downloader")), handle);
        Assert.Equal("Downloader", ((dynamic)handle).DeploymentName);
        Assert.Equal("app", ((dynamic)handle).ApplicationName);

        // Without the runtime there is no handle to pass.
        var ex = Assert.Throws<InvalidOperationException>(() => application.CreateInstance());
        Assert.Contains("'Downloader'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_call_runs_the_method_on_a_replica_through_the_target()
    {
        var graph = new LocalGraph();
        var model = Bind("Model", 3);
        Assert.Equal(15, await Call<int>("Forward", graph.Handle(model), 5));
        var request = Assert.Single(graph.TargetOf(model).Requests);
        Assert.Equal("Forward", request.Method);
        Assert.Equal("", request.MultiplexedModelId);
        Assert.True(request.CancellationToken.CanBeCanceled);

        Assert.Equal(3, await Call<int>("WithModel", graph.Handle(model), "model-7"));
        Assert.Equal("model-7", graph.TargetOf(model).Requests[1].MultiplexedModelId);
    }

    [Fact]
    public async Task Methods_named_like_the_handles_Call_and_Stream_are_reachable()
    {
        var graph = new LocalGraph();
        var model = Bind("Model", 3);
        Assert.Equal("4:0,3,6", await Call<string>("SameNamesAsTheHandle", graph.Handle(model)));
        Assert.Equal(new[] { "Stream", "Call" }, graph.TargetOf(model).Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Overloads_get_a_handle_method_each_unless_only_injected_parameters_differ()
    {
        var graph = new LocalGraph();
        Assert.Equal("6,7,6", await Call<string>("Overloads", graph.Handle(Bind("Model", 3))));
        var extensions = s_assembly.Value.GetType("Composition.Tests.ModelHandleExtensions", true)!;
        Assert.Equal(2, extensions.GetMethods().Count(m => m.Name == "Forward"));
        Assert.Single(extensions.GetMethods(), m => m.Name == "Shift");
    }

    [Fact]
    public async Task Chain_passes_the_download_unawaited_into_the_preprocessor()
    {
        var graph = new LocalGraph();
        var application = Bind("Classifier", Bind("Downloader"), Bind("Preprocessor", 2), "digit");
        Assert.Equal("digit:12", await Call<string>("Classify", graph.Handle(application), "123"));
        var children = application.Children.ToList();
        Assert.Equal("Download", Assert.Single(graph.TargetOf(children[0]).Requests).Method);
        Assert.Equal("Preprocess", Assert.Single(graph.TargetOf(children[1]).Requests).Method);
    }

    [Fact]
    public async Task A_response_passed_on_unawaited_is_awaited_before_the_next_call_takes_a_replica()
    {
        var graph = new LocalGraph();
        var model = Bind("Model", 3);
        var ensemble = Bind("Ensemble", Bind("Model", 1), Bind("Model", 2));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        graph.TargetOf(model).Gate = gate.Task;

        var (forward, combined) = ((Task<int>, Task<int>))DriverMethod("Chained").Invoke(null, [graph.Handle(model), graph.Handle(ensemble), 4])!;
        await WaitUntil(() => graph.TargetOf(model).Requests.Count == 1);
        await Task.Delay(50);
        Assert.False(forward.IsCompleted);
        Assert.Empty(graph.TargetOf(ensemble).Requests);

        gate.SetResult();
        Assert.Equal(12, await forward);
        Assert.Equal(122, await combined);
        Assert.Equal("Combine", Assert.Single(graph.TargetOf(ensemble).Requests).Method);
    }

    [Fact]
    public async Task Diamond_returns_8()
    {
        var graph = new LocalGraph();
        var diamond = (Application)s_assembly.Value.GetType("Composition.Tests.Apps", true)!.GetMethod("Diamond")!.Invoke(null, null)!;
        var models = diamond.Children.ToList();
        Assert.Equal(new[] { "m1", "m2" }, models.Select(m => m.Name));

        // Ray's seed: ensemble(m1.forward(1), m2.forward(2), 3) = 1*1 + 2*2 + 3.
        Assert.Equal(8, await Call<int>("Diamond", graph.Handle(models[0]), graph.Handle(models[1]), graph.Handle(diamond), new[] { 1, 2, 3 }));
        // The same graph run by the ensemble through the handles its replica was created with.
        Assert.Equal(8, await Call<int>("Run", graph.Handle(diamond), new[] { 1, 2, 3 }));
        Assert.Equal(new[] { "Forward", "Forward" }, graph.TargetOf(models[0]).Requests.Select(r => r.Method));
        Assert.Equal(new[] { "Combine", "Run" }, graph.TargetOf(diamond).Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Async_and_sync_streams_yield_every_item()
    {
        var graph = new LocalGraph();
        var application = Bind("Classifier", Bind("Downloader"), Bind("Preprocessor", 2), "digit");
        var labels = await Call<List<string>>("Labels", graph.Handle(application), 3);
        Assert.Equal(3, labels.Count);
        Assert.All(labels, l => Assert.StartsWith("req-", l, StringComparison.Ordinal));
        Assert.Equal(new[] { "digit0", "digit1", "digit2" }, labels.Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..]));
        Assert.Equal("Labels", Assert.Single(graph.TargetOf(application).Requests).Method);

        var children = application.Children.ToList();
        Assert.Equal(new[] { 2, 4, 6 }, await Call<List<int>>("Pixels", graph.Handle(children[0]), graph.Handle(children[1]), "123"));
        Assert.Equal("Pixels", Assert.Single(graph.TargetOf(children[1]).Requests).Method);
    }

    [Fact]
    public async Task Void_Task_and_ValueTask_methods_complete_their_responses()
    {
        var graph = new LocalGraph();
        var application = Bind("Classifier", Bind("Downloader"), Bind("Preprocessor", 2), "digit");
        Assert.Equal(2, await Call<int>("ResetTwice", graph.Handle(application)));
        Assert.Equal(new[] { "Reset", "Reset", "Touch", "ResetCount" }, graph.TargetOf(application).Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task The_callers_cancellation_token_reaches_the_method()
    {
        var graph = new LocalGraph();
        var application = Bind("Classifier", Bind("Downloader"), Bind("Preprocessor", 2), "digit");
        using var cts = new CancellationTokenSource();
        var waiting = (Task)DriverMethod("Wait").Invoke(null, [graph.Handle(application), cts.Token])!;
        await WaitUntil(() => graph.TargetOf(application).Requests.Count == 1);
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        dynamic instance = graph.TargetOf(application).Instance;
        await WaitUntil(() => (bool)instance.SawCancellation);
    }

    [Fact]
    public async Task Optional_nullable_inherited_and_renamed_parameters()
    {
        var graph = new LocalGraph();
        var application = Bind("Classifier", Bind("Downloader"), Bind("Preprocessor", 2), "digit");
        var handle = graph.Handle(application);
        // Scale(5) uses factor 2; Scale(5, 3); Scale(5, unit: "cm") adds the unit's length; Scale(Version()) gets a response.
        Assert.Equal("10,15,12,6", await Call<string>("Optional", handle));
        Assert.Equal("n#4", await Call<string?>("Nullable", handle));
        Assert.Equal("3:classifier:x", await Call<string>("Inherited", handle));

        var nested = s_assembly.Value.GetType("Composition.Tests.Outer+Nested", true)!;
        var bound = (Application)nested.GetMethod("Bind")!.Invoke(null, null)!;
        Assert.Equal("hc1tTrue", await Call<string>("RenamedPublic", graph.Handle(bound)));
        Assert.Equal("6/3", await Call<string>("Tuples", graph.Handle(bound)));
    }

    [Fact]
    public void Handle_methods_exist_only_for_callable_methods()
    {
        var extensions = s_assembly.Value.GetType("Composition.Tests.ClassifierHandleExtensions", true)!;
        Assert.True(extensions.IsPublic);
        Assert.Equal(
            new[] { "Classify", "Describe", "Guess", "Kind", "Labels", "Relabel", "Reset", "ResetCount", "Scale", "Touch", "Version", "Wait" },
            extensions.GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.False(s_assembly.Value.GetType("Composition.Tests.OuterNestedHandleExtensions", true)!.IsPublic);

        var labels = extensions.GetMethod("Labels")!;
        Assert.Equal(typeof(DeploymentResponseStream<string>), labels.ReturnType);
        Assert.Equal(new[] { typeof(DeploymentHandle<>).MakeGenericType(DeploymentType("Classifier")), typeof(DeploymentArg<int>), typeof(CancellationToken) },
            labels.GetParameters().Select(p => p.ParameterType));
        Assert.Equal(typeof(DeploymentResponse), extensions.GetMethod("Wait")!.ReturnType);
        Assert.Equal("Use Classify.", extensions.GetMethod("Guess")!.GetCustomAttribute<ObsoleteAttribute>()?.Message);
        var scale = extensions.GetMethod("Scale")!.GetParameters();
        Assert.Equal(new[] { false, true, true, true }, scale.Skip(1).Select(p => p.IsOptional));
        Assert.Equal(typeof(DeploymentArg<int>?), scale[2].ParameterType);
    }

    [Fact]
    public void Lifecycle_hooks_get_no_handle_methods()
    {
        var reconfigurable = typeof(Application).Assembly.GetType("Serve.IReconfigurable") is not null;
        var source = """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using Serve;

            namespace Hooks;

            [Deployment]
            public sealed partial class Model : IDisposable, IAsyncDisposable RECONFIGURABLE
            {
                public int Forward(int input) => input;

                public void Dispose() { }

                public ValueTask DisposeAsync() => default;

                RECONFIGURE
            }
            """
            .Replace("RECONFIGURABLE", reconfigurable ? ", IReconfigurable" : "", StringComparison.Ordinal)
            .Replace("RECONFIGURE", reconfigurable ? "public ValueTask ReconfigureAsync(System.Text.Json.JsonElement userConfig, CancellationToken cancellationToken) => default;" : "", StringComparison.Ordinal);
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Hooks.cs", source)));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = GeneratorHarness.GeneratedSource(result, "Hooks.Model.Serve.g.cs");
        Assert.Contains(" Forward(this ", generated, StringComparison.Ordinal);
        foreach (var hook in new[] { " Dispose(this ", " DisposeAsync(this ", " ReconfigureAsync(this " })
        {
            Assert.DoesNotContain(hook, generated, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Deployments_in_the_global_namespace_get_handles()
    {
        var source = """
            using System.Threading.Tasks;
            using Serve;

            [Deployment]
            public partial class Leaf
            {
                public int Forward(int x) => x;
            }

            [Deployment]
            public partial class Root(DeploymentHandle<Leaf> leaf)
            {
                public async Task<int> Run(int x) => await leaf.Forward(x) + 1;
            }

            public static class Apps
            {
                [ApplicationBuilder] public static Application<Root> App => Root.Bind(Leaf.Bind());
            }
            """;
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Global.cs", source)));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains("public static partial class LeafHandleExtensions", GeneratorHarness.GeneratedSource(result, "Leaf.Serve.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Inherited_methods_from_another_assembly_skip_what_the_compiler_synthesized()
    {
        var library = GeneratorHarness.Compile(("Library.cs", """
            namespace Library;

            public record Base(int Size)
            {
                public int Twice(int x) => x * 2;
            }
            """));
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);
        var source = """
            using Serve;

            namespace App;

            [Deployment]
            public sealed partial record Derived() : Library.Base(1)
            {
                public int Forward(int x) => x;
            }
            """;
        var compilation = GeneratorHarness.Compile(("App.cs", source)).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        var (result, output, diagnostics) = GeneratorHarness.Run(compilation);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = GeneratorHarness.GeneratedSource(result, "App.Derived.Serve.g.cs");
        Assert.Equal(
            new[] { "Forward", "Twice" },
            System.Text.RegularExpressions.Regex.Matches(generated, @" (\w+)\(this ").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> CompileErrors => new()
    {
        // A method the deployment does not have.
        { "_ = model.Backward(1);", "CS1061" },
        // Methods a handle cannot call: internal, generic, by-ref.
        { "_ = classifier.Internal();", "CS1061" },
        { "_ = classifier.Echo(1);", "CS1061" },
        // The wrong deployment for a handle parameter.
        { "_ = Ensemble.Bind(Classifier.Bind(Downloader.Bind(), Preprocessor.Bind(1), \"x\"), Model.Bind(2));", "CS1503" },
        { "Application untyped = Model.Bind(1); _ = Ensemble.Bind(untyped, Model.Bind(2));", "CS1503" },
        // Wrong argument types, as values and as responses of other calls.
        { "_ = model.Forward(\"one\");", "CS1503" },
        { "_ = model.Forward(classifier.Classify(\"u\"));", "CS1503" },
        // The wrong result type.
        { "string s = await model.Forward(1);", "CS0029" },
        { "await foreach (var item in model.Forward(1)) { }", "CS8411" },
    };

    [Theory]
    [MemberData(nameof(CompileErrors))]
    public void Calls_that_do_not_match_the_deployment_do_not_compile(string statement, string error)
    {
        var check = """
            using System.Threading.Tasks;
            using Serve;
            using Composition.Tests;

            namespace Checks;

            public static class Check
            {
                public static async Task Run(DeploymentHandle<Model> model, DeploymentHandle<Classifier> classifier)
                {
                    await Task.Yield();
                    STATEMENT
                }
            }
            """.Replace("STATEMENT", statement, StringComparison.Ordinal);
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Composition.cs", TestSources.Composition), ("Check.cs", check)));
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count > 0 && errors.All(e => e.Location.SourceTree?.FilePath == "Check.cs"), string.Join("\n", errors));
        Assert.Contains(errors, e => e.Id == error);
    }

    private static Type DeploymentType(string name) => s_assembly.Value.GetType("Composition.Tests." + name, throwOnError: true)!;

    /// <summary>
    /// Handle methods off the shared call helpers' usual path: a dynamic argument and more arguments than a delegate
    /// passes (the handle method calls its handle itself), and a class that streams (cast for the helper).
    /// </summary>
    private const string Unshared = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;

        namespace Unshared.Tests;

        [Deployment]
        public partial class Odd
        {
            public string Dynamic(dynamic value) => "d:" + value;

            public int Many(int a1, int a2, int a3, int a4, int a5, int a6, int a7, int a8, int a9, int a10, int a11, int a12, int a13, int a14, int a15)
                => a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;

            public Countdown Count(int from) => new(from);
        }

        public sealed class Countdown(int from) : IAsyncEnumerable<int>
        {
            public async IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
            {
                for (var i = from; i > 0; i--)
                {
                    await Task.Yield();
                    yield return i;
                }
            }
        }

        public static class Calls
        {
            public static Task<string> Dynamic(DeploymentHandle<Odd> odd) => odd.Dynamic(7).AsTask();

            public static Task<int> Many(DeploymentHandle<Odd> odd) => odd.Many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15).AsTask();

            public static async Task<List<int>> Count(DeploymentHandle<Odd> odd)
            {
                var items = new List<int>();
                await foreach (var item in odd.Count(3))
                {
                    items.Add(item);
                }
                return items;
            }
        }
        """;

    [Fact]
    public async Task Handle_methods_off_the_helpers_usual_path_run_too()
    {
        var assembly = GeneratorHarness.BuildAndLoad(("Odd.cs", Unshared));
        var odd = (Application)assembly.GetType("Unshared.Tests.Odd", true)!.GetMethod("Bind")!.Invoke(null, null)!;
        var graph = new LocalGraph();
        Task<T> Run<T>(string method) => (Task<T>)assembly.GetType("Unshared.Tests.Calls", true)!.GetMethod(method)!.Invoke(null, [graph.Handle(odd)])!;
        Assert.Equal("d:7", await Run<string>("Dynamic"));
        Assert.Equal(120, await Run<int>("Many"));
        Assert.Equal(new[] { 3, 2, 1 }, await Run<List<int>>("Count"));
    }

    private static Application Bind(string deployment, params object?[] arguments)
        => (Application)DeploymentType(deployment).GetMethod("Bind")!.Invoke(null, arguments)!;

    private static MethodInfo DriverMethod(string name) => s_assembly.Value.GetType("Composition.Driver.Calls", true)!.GetMethod(name)!;

    private static Task<T> Call<T>(string method, params object?[] arguments) => (Task<T>)DriverMethod(method).Invoke(null, arguments)!;

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition(), "Timed out waiting for the condition.");
    }

    /// <summary>An application graph run in process: one replica per bound deployment, children reached through handles.</summary>
    private sealed class LocalGraph
    {
        private readonly Dictionary<Application, InProcessTarget> _targets = new(ReferenceEqualityComparer.Instance);

        public InProcessTarget TargetOf(Application application)
        {
            lock (_targets)
            {
                if (_targets.TryGetValue(application, out var target))
                {
                    return target;
                }
            }
            var instance = application.CreateInstance(child => child.CreateHandle(TargetOf(child)), Serve.Dispatch.DeploymentServices.None);
            lock (_targets)
            {
                return _targets.TryGetValue(application, out var raced) ? raced : _targets[application] = new InProcessTarget(application.Name, instance);
            }
        }

        public object Handle(Application application) => application.CreateHandle(TargetOf(application));
    }

    /// <summary>Calls the one instance directly, making a request context current as the runtime does.</summary>
    private sealed class InProcessTarget(string deployment, object instance) : HandleTarget
    {
        private static int s_requests;
        private readonly List<HandleRequest> _requests = [];

        public object Instance => instance;

        /// <summary>When set, calls wait for it before they run.</summary>
        public Task? Gate { get; set; }

        public IReadOnlyList<HandleRequest> Requests
        {
            get
            {
                lock (_requests)
                {
                    return _requests.ToList();
                }
            }
        }

        public override string ApplicationName => "app";

        public override string DeploymentName => deployment;

        public override async ValueTask<TResult> InvokeAsync<TResult>(HandleRequest request, Func<object, CancellationToken, ValueTask<TResult>> invoke)
        {
            Record(request);
            if (Gate is { } gate)
            {
                await gate.WaitAsync(request.CancellationToken);
            }
            ServeRequestContext.SetCurrent(NewContext(request));
            return await invoke(instance, request.CancellationToken);
        }

        public override IAsyncEnumerable<TItem> InvokeStream<TItem>(HandleRequest request, Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke)
            => StreamAsync(request, invoke);

        private async IAsyncEnumerable<TItem> StreamAsync<TItem>(HandleRequest request, Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Record(request);
            ServeRequestContext.SetCurrent(NewContext(request));
            await foreach (var item in invoke(instance, request.CancellationToken).WithCancellation(cancellationToken))
            {
                yield return item;
            }
        }

        private void Record(HandleRequest request)
        {
            lock (_requests)
            {
                _requests.Add(request);
            }
        }

        private ServeRequestContext NewContext(HandleRequest request)
            => new("req-" + Interlocked.Increment(ref s_requests).ToString(System.Globalization.CultureInfo.InvariantCulture), ApplicationName, request.MultiplexedModelId);
    }
}
