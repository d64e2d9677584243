using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using System.Buffers;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Microsoft.CodeAnalysis;
using Serve.Dispatch;
using Serve.Http;

namespace Serve.Generators.Tests;

/// <summary><c>[Batch]</c>: the emitted per-item overloads and queues, and calling them through gRPC, HTTP, handles and directly.</summary>
public class BatchGeneratorTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHarness.BuildAndLoad(
        ("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Batch.cs", BatchSources.Deployments), ("Driver.cs", BatchSources.Driver)));

    [Theory]
    [InlineData("Batching.Tests.Classifier.Serve.g.cs")]
    [InlineData("Batching.Tests.Shapes.Serve.g.cs")]
    public void Output_matches_snapshot(string hintName)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(
            ("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Batch.cs", BatchSources.Deployments), ("Driver.cs", BatchSources.Driver)));
        Assert.Empty(diagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Fact]
    public void Generated_code_has_no_warnings_with_documentation_diagnostics_on()
    {
        var options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var compilation = GeneratorHarness.Compile(("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Batch.cs", BatchSources.Deployments));
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), options)));
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new[] { new ServeGenerator().AsSourceGenerator() }, parseOptions: options);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        var generated = output.SyntaxTrees.Except(compilation.SyntaxTrees).ToHashSet();
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Definition_lists_the_batched_methods_and_binds_the_rpc_to_the_per_item_overload()
    {
        var definition = Definition("Batching.Tests.Classifier");
        var method = Assert.Single(definition.GrpcMethods);
        Assert.Equal("/userdefinedprotos.ImageClassificationService/Predict", method.Path);
        Assert.Equal(GrpcMethodType.Unary, method.MethodType);
        var batch = Assert.Single(definition.BatchMethods);
        Assert.Equal(("Predict", 4, TimeSpan.FromSeconds(30), 1, 4L), (batch.MethodName, batch.MaxBatchSize, batch.BatchWaitTimeout, batch.MaxConcurrentBatches, batch.FullCapacity));

        var shapes = Definition("Batching.Tests.Shapes");
        Assert.Equal(
            new[] { "Square 2 00:00:00 1", "Upper 3 00:00:00.5000000 2", "Length 10 00:00:00 1", "Slow 2 01:00:00 1", "Broken 8 00:00:00 1" },
            shapes.BatchMethods.Select(b => $"{b.MethodName} {b.MaxBatchSize} {b.BatchWaitTimeout:c} {b.MaxConcurrentBatches}"));

        // The per-item overloads, next to the user's list methods, with the user's accessibility.
        var type = s_assembly.Value.GetType("Batching.Tests.Shapes")!;
        Assert.Equal(typeof(ValueTask<int>), type.GetMethod("Square", [typeof(int), typeof(CancellationToken)])!.ReturnType);
        Assert.True(type.GetMethod("Broken", BindingFlags.NonPublic | BindingFlags.Instance, [typeof(string), typeof(CancellationToken)])!.IsAssembly);
    }

    [Fact]
    public async Task Concurrent_grpc_calls_share_one_batch_and_each_gets_its_own_result()
    {
        var definition = Definition("Batching.Tests.Classifier");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        Assert.Null(definition.BatchMethods[0].Queue(instance));
        var calls = Enumerable.Range(0, 4).Select(i => new TestCall(Image("u" + i), new ServeRequestContext("req-" + i, "app", "", "/userdefinedprotos.ImageClassificationService/Predict"))).ToList();
        // MaxBatchSize 4 and a 30 s wait: the batch runs when the fourth call arrives, not on time.
        var running = calls.Select(c => Task.Run(async () =>
        {
            ServeRequestContext.SetCurrent(c.RequestContext);
            await definition.GrpcMethods[0].Invoker(instance, c);
        })).ToList();
        await Task.WhenAll(running).WaitAsync(Guard);

        for (var i = 0; i < 4; i++)
        {
            var reply = Assert.Single(calls[i].Responses);
            Assert.Equal("u" + i + "/4", ((RepeatedField<string>)Field(reply, "classes"))[0]);
        }
        Assert.Equal(new[] { 4 }, (int[])Property(instance, "Sizes"));
        // The batch ran with a context of its own: the callers' app and route, none of their request ids.
        var context = Assert.Single((List<ServeRequestContext?>)Property(instance, "Contexts"));
        Assert.NotNull(context);
        Assert.Equal(("app", "", "/userdefinedprotos.ImageClassificationService/Predict"), (context!.ApplicationName, context.MultiplexedModelId, context.Route));
        Assert.DoesNotContain(context.RequestId, calls.Select(c => c.RequestContext.RequestId));
        Assert.NotNull(definition.BatchMethods[0].Queue(instance));
    }

    [Fact]
    public async Task Per_item_overloads_run_every_result_shape()
    {
        var shapes = Definition("Batching.Tests.Shapes").Factory([], Serve.Dispatch.DeploymentServices.None);
        Assert.Equal(new[] { 1, 4, 9, 16, 25 }, await Driver<Task<int[]>>("Squares", shapes, new[] { 1, 2, 3, 4, 5 }).WaitAsync(Guard));
        Assert.Equal(new[] { "A", "B", "C", "D" }, await Driver<Task<string[]>>("Uppers", shapes, new[] { "a", "b", "c", "d" }).WaitAsync(Guard));
        Assert.Equal(50, await Driver<Task<int>>("SquarePlusOne", shapes, 7).WaitAsync(Guard));
    }

    [Fact]
    public async Task A_batch_waits_for_more_items_on_the_hosts_clock()
    {
        var time = new FakeTimeProvider();
        using var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var shapes = Definition("Batching.Tests.Shapes").Factory([], services);
        var slow = shapes.GetType().GetMethod("Slow", [typeof(int), typeof(CancellationToken)])!;

        // One item of two: the batch waits an hour (of the host's clock) for another.
        var one = ((ValueTask<int>)slow.Invoke(shapes, [5, CancellationToken.None])!).AsTask();
        time.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(50);
        Assert.False(one.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(-5, await one.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_batch_that_returns_too_few_results_fails_every_caller_with_rays_message()
    {
        var shapes = Definition("Batching.Tests.Shapes").Factory([], Serve.Dispatch.DeploymentServices.None);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Driver<Task<string>>("Broken", shapes, "x").WaitAsync(Guard));
        Assert.Equal("Batched method 'Broken' doesn't preserve batch size. The input list has length 1 but the returned list has length 0.", ex.Message);
    }

    [Fact]
    public async Task Handle_methods_take_one_item()
    {
        var definition = Definition("Batching.Tests.Shapes");
        var target = new DirectTarget(definition.Factory([], Serve.Dispatch.DeploymentServices.None));
        var handle = Activator.CreateInstance(typeof(DeploymentHandle<>).MakeGenericType(s_assembly.Value.GetType("Batching.Tests.Shapes", throwOnError: true)!), target)!;
        Assert.Equal(new[] { 4, 9 }, await Driver<Task<int[]>>("SquaresThroughHandle", handle, new[] { 2, 3 }).WaitAsync(Guard));
        Assert.Equal("ray=3", await Driver<Task<string>>("LengthThroughHandle", handle, "ray").WaitAsync(Guard));
        Assert.Equal(new[] { "Square", "Square", "Length" }, target.Methods);
    }

    [Fact]
    public async Task Http_route_binds_one_item_and_writes_its_result()
    {
        var definition = Definition("Batching.Tests.Shapes");
        var route = Assert.Single(definition.HttpRoutes);
        Assert.Equal(("GET", "/length/{word}", "Length"), (route.HttpMethod, route.Template, route.MethodName));
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        var calls = new[] { "ray", "serve" }.Select(w => new TestHttpCall(w)).ToList();
        await Task.WhenAll(calls.Select(c => route.Invoker(instance, c).AsTask())).WaitAsync(Guard);
        Assert.Equal(new[] { "ray=3", "serve=5" }, calls.Select(c => c.Body));
        Assert.All(calls, c => Assert.Equal((200, "text/plain; charset=utf-8"), (c.StatusCode, c.ContentType)));
    }

    [Fact]
    public async Task Stopping_the_queue_fails_waiting_and_later_calls_with_unavailable()
    {
        var definition = Definition("Batching.Tests.Classifier");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        var first = new TestCall(Image("a"));
        // One call of four: it waits (30 s) for the others.
        var waiting = definition.GrpcMethods[0].Invoker(instance, first).AsTask();
        var queue = definition.BatchMethods[0].Queue(instance)!;
        Assert.Equal(1, queue.QueuedCount);
        await queue.DisposeAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => waiting.WaitAsync(Guard));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("'Predict'", ex.Status.Detail, StringComparison.Ordinal);
        var late = await Assert.ThrowsAsync<RpcException>(async () => await definition.GrpcMethods[0].Invoker(instance, new TestCall(Image("b"))));
        Assert.Equal(StatusCode.Unavailable, late.StatusCode);
        Assert.Empty((int[])Property(instance, "Sizes"));
    }

    [Fact]
    public async Task A_cancelled_grpc_call_leaves_the_queue()
    {
        var definition = Definition("Batching.Tests.Classifier");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        using var cts = new CancellationTokenSource();
        var cancelled = definition.GrpcMethods[0].Invoker(instance, new TestCall(Image("gone"), cancellationToken: cts.Token)).AsTask();
        var queue = definition.BatchMethods[0].Queue(instance)!;
        Assert.Equal(1, queue.QueuedCount);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Guard));
        Assert.Equal(0, queue.QueuedCount);

        var calls = Enumerable.Range(0, 4).Select(i => new TestCall(Image("k" + i))).ToList();
        await Task.WhenAll(calls.Select(c => definition.GrpcMethods[0].Invoker(instance, c).AsTask())).WaitAsync(Guard);
        Assert.Equal(new[] { 4 }, (int[])Property(instance, "Sizes"));
        Assert.Equal(new[] { "k0/4", "k1/4", "k2/4", "k3/4" }, calls.Select(c => ((RepeatedField<string>)Field(Assert.Single(c.Responses), "classes"))[0]));
    }

    private static DeploymentDefinition Definition(string typeName)
        => (DeploymentDefinition)s_assembly.Value.GetType(typeName, throwOnError: true)!.GetProperty("ServeDefinition", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static T Driver<T>(string method, params object[] arguments)
        => (T)s_assembly.Value.GetType("Batching.Driver.Calls", throwOnError: true)!.GetMethod(method)!.Invoke(null, arguments)!;

    private static object Property(object instance, string name) => instance.GetType().GetProperty(name)!.GetValue(instance)!;

    private static IMessage Image(string url)
    {
        var message = (IMessage)Activator.CreateInstance(s_assembly.Value.GetType("Userdefinedprotos.ImageData", throwOnError: true)!)!;
        message.Descriptor.FindFieldByName("url").Accessor.SetValue(message, url);
        return message;
    }

    private static object Field(IMessage message, string field) => message.Descriptor.FindFieldByName(field).Accessor.GetValue(message);

    /// <summary>Runs handle calls on one instance, as a replica would (each on its own flow).</summary>
    private sealed class DirectTarget(object instance) : HandleTarget
    {
        private readonly List<string> _methods = [];

        public IReadOnlyList<string> Methods
        {
            get
            {
                lock (_methods)
                {
                    return _methods.ToList();
                }
            }
        }

        public override string ApplicationName => "app";

        public override string DeploymentName => "Shapes";

        public override async ValueTask<TResult> InvokeAsync<TResult>(HandleRequest request, Func<object, CancellationToken, ValueTask<TResult>> invoke)
        {
            lock (_methods)
            {
                _methods.Add(request.Method);
            }
            await Task.Yield();
            ServeRequestContext.SetCurrent(new ServeRequestContext("h", "app", request.MultiplexedModelId));
            return await invoke(instance, request.CancellationToken);
        }

        public override IAsyncEnumerable<TItem> InvokeStream<TItem>(HandleRequest request, Func<object, CancellationToken, IAsyncEnumerable<TItem>> invoke)
            => throw new NotSupportedException();
    }

    /// <summary>A unary gRPC call served in memory.</summary>
    private sealed class TestCall(IMessage request, ServeRequestContext? context = null, CancellationToken cancellationToken = default) : GrpcServerCall
    {
        private readonly ReadOnlySequence<byte> _payload = new(request.ToByteArray());

        public List<IMessage> Responses { get; } = [];

        public override ServeRequestContext RequestContext { get; } = context ?? new ServeRequestContext("test", "app");

        public override CancellationToken CancellationToken => cancellationToken;

        public override ReadOnlySequence<byte> RequestPayload => _payload;

        public override GrpcContext GrpcContext { get; } = new("/test/Method", new Grpc.Core.Metadata(), "ipv4:127.0.0.1:5000", null, cancellationToken);

        public override IAsyncEnumerable<T> ReadRequestsAsync<T>(MessageParser<T> parser, string messageName) => throw new NotSupportedException();

        public override ValueTask WriteResponseAsync(IMessage message)
        {
            lock (Responses)
            {
                Responses.Add(message);
            }
            return default;
        }
    }

    /// <summary>A GET of /length/{word}, served in memory.</summary>
    private sealed class TestHttpCall(string word) : HttpServerCall
    {
        public override ServeRequestContext RequestContext { get; } = new("test", "app");

        public override CancellationToken CancellationToken => CancellationToken.None;

        public override HttpRequestData Request { get; } = new("GET", "", "/length/" + word, "", new HttpValues([], ignoreCase: false), new HttpValues([], ignoreCase: true), null, ReadOnlyMemory<byte>.Empty);

        public int StatusCode { get; private set; }

        public string? ContentType { get; private set; }

        public string Body { get; private set; } = "";

        public override string? GetRouteValue(string name) => name == "word" ? word : null;

        public override ValueTask WriteResultAsync(HttpResult result)
        {
            StatusCode = result.StatusCode;
            ContentType = result.ContentType;
            Body = Encoding.UTF8.GetString(result.Body.Span);
            return default;
        }

        public override ValueTask WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode) => throw new NotSupportedException();

        public override ValueTask WriteStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T>? typeInfo) => throw new NotSupportedException();
    }
}
