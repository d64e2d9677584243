using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Serve.Dispatch;

namespace Serve.Generators.Tests;

/// <summary>Compiles deployments with the generated code, loads them and calls the generated dispatch.</summary>
public class BehaviourTests
{
    private static readonly Lazy<Assembly> s_quickstart = new(() => GeneratorHarness.BuildAndLoad(TestSources.Quickstart));
    private static readonly Lazy<Assembly> s_echo = new(() => GeneratorHarness.BuildAndLoad(TestSources.Echo));
    private static readonly Lazy<Assembly> s_streaming = new(() => GeneratorHarness.BuildAndLoad(TestSources.Streaming));

    [Fact]
    public void ServeDefinition_describes_the_deployment()
    {
        var definition = Definition(s_quickstart.Value, "Quickstart.GrpcDeployment");
        Assert.Equal("GrpcDeployment", definition.Name);
        Assert.Equal("Quickstart.GrpcDeployment", definition.TypeName);
        Assert.Equal(new DeploymentOptions(), definition.Options);
        Assert.Equal(0, definition.BindParameterCount);
        Assert.Equal(new[] { "userdefinedprotos.UserDefinedService" }, definition.GrpcServices);
        Assert.Equal(
            new[]
            {
                "/userdefinedprotos.UserDefinedService/__call__ Unary userdefinedprotos.UserDefinedMessage userdefinedprotos.UserDefinedResponse",
                "/userdefinedprotos.UserDefinedService/Multiplexing Unary userdefinedprotos.UserDefinedMessage2 userdefinedprotos.UserDefinedResponse2",
                "/userdefinedprotos.UserDefinedService/Streaming ServerStreaming userdefinedprotos.UserDefinedMessage userdefinedprotos.UserDefinedResponse",
            },
            definition.GrpcMethods.Select(m => $"{m.Path} {m.MethodType} {m.RequestType} {m.ResponseType}"));
        Assert.IsType(definition.TypeName.Length > 0 ? s_quickstart.Value.GetType("Quickstart.GrpcDeployment")! : typeof(object), definition.Factory([], Serve.Dispatch.DeploymentServices.None));
    }

    [Fact]
    public void Options_and_constructor_arguments_come_from_the_attribute_and_Bind()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.Classifier");
        Assert.Equal("classifier", definition.Name);
        Assert.Equal(new DeploymentOptions { Name = "classifier", NumReplicas = 2, MaxOngoingRequests = 7, MaxQueuedRequests = 11 }, definition.Options);
        Assert.Equal(2, definition.BindParameterCount);

        var bind = assembly.GetType("Quickstart.Classifier")!.GetMethod("Bind")!;
        Assert.Equal(new[] { typeof(string), typeof(int) }, bind.GetParameters().Select(p => p.ParameterType));
        var application = (Application)bind.Invoke(null, ["resnet", 2])!;
        Assert.Same(definition, application.Deployment);
        Assert.Equal(new object?[] { "resnet", 2 }, application.Arguments);
        Assert.Equal("classifier", application.Name);
    }

    [Fact]
    public async Task Unary_sync_method_parses_calls_and_writes()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.GrpcDeployment");
        var request = NewMessage(assembly, "Userdefinedprotos.UserDefinedMessage", ("name", "Ray"), ("origin", "Berkeley"), ("num", 21L));
        var call = new TestCall(request);
        await Method(definition, "__call__").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        var response = Assert.Single(call.Responses);
        Assert.Equal("Hello Ray from Berkeley", Field(response, "greeting"));
        Assert.Equal(42L, Field(response, "num"));
    }

    [Fact]
    public async Task Context_parameter_receives_the_request_context()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.GrpcDeployment");
        var call = new TestCall(NewMessage(assembly, "Userdefinedprotos.UserDefinedMessage2"), new ServeRequestContext("r1", "app1", "model-7"));
        await Method(definition, "Multiplexing").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal("Method2 called model, loading model: model-7", Field(Assert.Single(call.Responses), "greeting"));
    }

    [Fact]
    public async Task Async_stream_writes_every_message()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.GrpcDeployment");
        var call = new TestCall(NewMessage(assembly, "Userdefinedprotos.UserDefinedMessage", ("name", "Ray"), ("num", 5L)));
        await Method(definition, "Streaming").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal(new object[] { 10L, 11L, 12L }, call.Responses.Select(r => Field(r, "num")));
        Assert.Equal("2: Hello Ray", Field(call.Responses[2], "greeting"));
    }

    [Fact]
    public async Task Cancelled_async_stream_stops()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.GrpcDeployment");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var call = new TestCall(NewMessage(assembly, "Userdefinedprotos.UserDefinedMessage"), cancellationToken: cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Method(definition, "Streaming").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call));
        Assert.Empty(call.Responses);
    }

    [Fact]
    public async Task Garbage_payload_ends_the_call_with_InvalidArgument()
    {
        var assembly = s_quickstart.Value;
        var definition = Definition(assembly, "Quickstart.GrpcDeployment");
        var call = new TestCall(new ReadOnlySequence<byte>(new byte[] { 0x0A, 0x05, (byte)'a' }));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Method(definition, "__call__").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("userdefinedprotos.UserDefinedMessage", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Task_method_with_cancellation_and_context_in_any_order()
    {
        var assembly = s_echo.Value;
        var definition = Definition(assembly, "Behaviour.Tests.Outer.EchoDeployment");
        Assert.Equal(1, definition.BindParameterCount);
        var instance = definition.Factory(["> "], Serve.Dispatch.DeploymentServices.None);
        using var cts = new CancellationTokenSource();
        var call = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "hi")), new ServeRequestContext("req-9", "app"), cts.Token);
        await Method(definition, "Say").Invoker(instance, call);
        var response = Assert.Single(call.Responses);
        Assert.Equal("> hi/req-9", Field(response, "text"));
        Assert.Equal(1, Field(response, "index"));
    }

    [Fact]
    public async Task Sync_enumerable_stream_writes_every_message()
    {
        var assembly = s_echo.Value;
        var definition = Definition(assembly, "Behaviour.Tests.Outer.EchoDeployment");
        var call = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "x"), ("repeat", 3)));
        await Method(definition, "SayMany").Invoker(definition.Factory([""], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal(new object[] { 0, 1, 2 }, call.Responses.Select(r => Field(r, "index")));
        Assert.Equal(GrpcMethodType.ServerStreaming, Method(definition, "SayMany").MethodType);
    }

    [Fact]
    public async Task ValueTask_method_with_well_known_types()
    {
        var assembly = s_echo.Value;
        var definition = Definition(assembly, "Behaviour.Tests.Outer.EchoDeployment");
        var call = new TestCall(new Google.Protobuf.WellKnownTypes.Empty(), new ServeRequestContext("r", "a", "m1"));
        await Method(definition, "Ping").Invoker(definition.Factory([""], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal("pong m1", ((Google.Protobuf.WellKnownTypes.StringValue)Assert.Single(call.Responses)).Value);
        Assert.Equal("google.protobuf.Empty", Method(definition, "Ping").RequestType);
        Assert.Equal("google.protobuf.StringValue", Method(definition, "Ping").ResponseType);
    }

    [Fact]
    public async Task Nested_message_types_and_internal_methods()
    {
        var assembly = s_echo.Value;
        var definition = Definition(assembly, "Behaviour.Tests.Outer.EchoDeployment");
        var method = Method(definition, "Nested");
        Assert.Equal("serve.tests.EchoRequest.Inner", method.RequestType);
        Assert.Equal("serve.tests.EchoRequest.Inner.Deeper", method.ResponseType);
        var call = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest+Types+Inner", ("value", "four")));
        await method.Invoker(definition.Factory([""], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal(4, Field(Assert.Single(call.Responses), "depth"));
    }

    [Fact]
    public async Task Async_ValueTask_and_concrete_list_streams()
    {
        var assembly = s_echo.Value;
        var definition = Definition(assembly, "Behaviour.Tests.ListEcho");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        var say = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "async")));
        await Method(definition, "Say").Invoker(instance, say);
        Assert.Equal("async", Field(Assert.Single(say.Responses), "text"));
        var many = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest"));
        await Method(definition, "SayMany").Invoker(instance, many);
        Assert.Equal(7, Field(Assert.Single(many.Responses), "index"));
    }

    [Fact]
    public void Deployment_without_services_has_an_empty_dispatch_table()
    {
        var definition = Definition(s_echo.Value, "Behaviour.Tests.PlainDeployment");
        Assert.Equal("plain", definition.Name);
        Assert.Empty(definition.GrpcServices);
        Assert.Empty(definition.GrpcMethods);
    }

    [Fact]
    public void Module_initializer_registers_deployments_and_application_builders()
    {
        var assembly = s_quickstart.Value;
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        Assert.Same(Definition(assembly, "Quickstart.GrpcDeployment"), ServeRegistry.Deployments["Quickstart.GrpcDeployment"]);
        Assert.Same(Definition(assembly, "Quickstart.Classifier"), ServeRegistry.Deployments["Quickstart.Classifier"]);

        Assert.True(ServeRegistry.TryBuild("Quickstart.Applications:App1", ApplicationArgs.Empty, out var app1, out _));
        Assert.Equal("GrpcDeployment", app1!.Name);
        Assert.True(ServeRegistry.TryBuild("Quickstart.Applications:NoArgs", ApplicationArgs.Empty, out var noArgs, out _));
        Assert.Equal("GrpcDeployment", noArgs!.Name);
        var args = new ApplicationArgs(new Dictionary<string, string> { ["model"] = "vit" });
        Assert.True(ServeRegistry.TryBuild("Quickstart.Applications:WithArgs", args, out var withArgs, out _));
        Assert.Equal(new object?[] { "vit", 3 }, withArgs!.Arguments);
    }

    [Fact]
    public void The_generator_leaves_gRPC_clients_to_Grpc_Tools()
    {
        // Grpc.Tools (GrpcServices="Client") emits `static partial class UserDefinedService` with its
        // client; a type of that name from Serve's generator would collide with it.
        Assert.Null(s_quickstart.Value.GetType("Userdefinedprotos.UserDefinedService"));
        Assert.Null(s_echo.Value.GetType("Serve.Tests.Protos.Chat"));
        Assert.Null(s_echo.Value.GetType("Serve.Tests.Protos.Echo"));
    }

    [Fact]
    public async Task GrpcContext_parameter_receives_the_calls_context_and_its_status_is_visible()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.ChatDeployment");
        var call = new TestCall(new ReadOnlySequence<byte>(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest").ToByteArray()), method: "/serve.tests.Echo/Say");
        await Method(definition, "Say").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal("/serve.tests.Echo/Say ", Field(Assert.Single(call.Responses), "text"));
        Assert.Equal(StatusCode.InvalidArgument, call.GrpcContext.StatusCode);
        Assert.Equal("empty text", call.GrpcContext.Detail);
        Assert.Equal("ipv4:127.0.0.1:5000", call.GrpcContext.ResponseTrailers.GetValue("x-peer"));
    }

    [Fact]
    public async Task Client_streaming_method_reads_every_request()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.ChatDeployment");
        var method = Method(definition, "Upload");
        Assert.Equal(GrpcMethodType.ClientStreaming, method.MethodType);
        Assert.Equal("serve.tests.EchoRequest", method.RequestType);
        var call = TestCall.Streaming(
            [NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "a")), NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "b")), NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "c"))]);
        await method.Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        var response = Assert.Single(call.Responses);
        Assert.Equal("a,b,c", Field(response, "text"));
        Assert.Equal(3, Field(response, "index"));
        Assert.Equal(new[] { "serve.tests.EchoRequest" }, call.ReadMessageNames);
        Assert.Equal("uploaded 3", call.GrpcContext.Detail);
    }

    [Fact]
    public async Task Client_streaming_ValueTask_method_with_parameters_in_any_order()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.SyncChat");
        var call = TestCall.Streaming([NewMessage(assembly, "Serve.Tests.Protos.EchoRequest"), NewMessage(assembly, "Serve.Tests.Protos.EchoRequest")], method: "/serve.tests.Chat/Upload");
        await Method(definition, "Upload").Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        var response = Assert.Single(call.Responses);
        Assert.Equal(2, Field(response, "index"));
        Assert.Equal("/serve.tests.Chat/Upload", Field(response, "text"));
    }

    [Fact]
    public async Task Duplex_method_answers_each_request_as_it_arrives()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.ChatDeployment");
        var method = Method(definition, "Converse");
        Assert.Equal(GrpcMethodType.DuplexStreaming, method.MethodType);
        var call = TestCall.Streaming(
            [NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "hi")), NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "yo"))],
            new ServeRequestContext("req-1", "app"));
        await method.Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal(new object[] { "req-1:HI", "req-1:YO" }, call.Responses.Select(r => Field(r, "text")));
        Assert.Equal(new object[] { 0, 1 }, call.Responses.Select(r => Field(r, "index")));
        Assert.Equal(2, call.RequestsRead);

        var sync = Definition(assembly, "Streaming.Tests.SyncChat");
        var echo = TestCall.Streaming([NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "x"))]);
        await Method(sync, "Converse").Invoker(sync.Factory([], Serve.Dispatch.DeploymentServices.None), echo);
        Assert.Equal("x", Field(Assert.Single(echo.Responses), "text"));
    }

    [Fact]
    public async Task Multiplexed_model_is_loaded_once_per_id_for_the_current_request()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.ChatDeployment");
        dynamic instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        try
        {
            ServeRequestContext.SetCurrent(new ServeRequestContext("r1", "app", "model-a"));
            dynamic first = await instance.CurrentModel();
            dynamic again = await instance.CurrentModel();
            Assert.Same(first, again);
            Assert.Equal("model-a", (string)first.Id);
            Assert.Equal(new[] { "model-a" }, (List<string>)instance.Loads);

            // The multiplexed RPC path: SayMany reads the current request's model.
            var call = new TestCall(NewMessage(assembly, "Serve.Tests.Protos.EchoRequest", ("text", "t")));
            await Method(definition, "SayMany").Invoker((object)instance, call);
            Assert.Equal("model-a:t", Field(Assert.Single(call.Responses), "text"));
            Assert.Equal(new[] { "model-a" }, (List<string>)instance.Loads);

            ServeRequestContext.SetCurrent(new ServeRequestContext("r2", "app"));
            var missing = await Assert.ThrowsAsync<RpcException>(async () => await instance.CurrentModel());
            Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
        }
        finally
        {
            ServeRequestContext.SetCurrent(null);
        }
    }

    [Fact]
    public async Task Multiplexed_models_beyond_capacity_evict_the_least_recently_used()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.ChatDeployment");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        Assert.NotNull(definition.MultiplexedModels);
        var models = definition.MultiplexedModels!(instance);
        Assert.IsType(typeof(Serve.Multiplexing.ModelCache<>).MakeGenericType(assembly.GetType("Streaming.Tests.Model")!), models);
        Assert.Same(models, definition.MultiplexedModels(instance));
        Assert.Equal(2, models.Capacity);

        dynamic deployment = instance;
        dynamic a = await deployment.ModelById("a");
        await deployment.ModelById("b");
        await deployment.ModelById("a");
        await deployment.ModelById("c");
        Assert.Equal(new[] { "c", "a" }, models.ModelIds);
        Assert.False(models.Contains("b"));
        Assert.False((bool)a.Disposed);
        await deployment.ModelById("b");
        Assert.Equal(new[] { "a", "b", "c", "b" }, (List<string>)deployment.Loads);
        Assert.True((bool)a.Disposed);

        var other = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        Assert.NotSame(models, definition.MultiplexedModels(other));
    }

    [Fact]
    public async Task Synchronous_loader_and_default_capacity()
    {
        var assembly = s_streaming.Value;
        var definition = Definition(assembly, "Streaming.Tests.SyncChat");
        var instance = definition.Factory([], Serve.Dispatch.DeploymentServices.None);
        Assert.Equal(Serve.MultiplexedAttribute.DefaultMaxModelsPerReplica, definition.MultiplexedModels!(instance).Capacity);
        dynamic deployment = instance;
        dynamic model = await deployment.Get("m");
        Assert.Equal("m", (string)model.Id);
        Assert.Null(Definition(s_echo.Value, "Behaviour.Tests.ListEcho").MultiplexedModels);
    }

    [Fact]
    public void Module_initializer_registers_the_proto_file_descriptors()
    {
        var assembly = s_streaming.Value;
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        var names = ServeRegistry.FileDescriptors.Where(d => d.Name is "shapes.proto" or "user_defined_protos.proto").ToList();
        Assert.Contains(names, d => d.Name == "shapes.proto" && d.Services.Any(s => s.FullName == "serve.tests.Chat"));
        Assert.Contains(names, d => d.Name == "user_defined_protos.proto");
        var shapes = (FileDescriptor)assembly.GetType("Serve.Tests.Protos.ShapesReflection")!.GetProperty("Descriptor")!.GetValue(null)!;
        Assert.Contains(shapes, ServeRegistry.FileDescriptors);
    }

    private static DeploymentDefinition Definition(Assembly assembly, string typeName)
    {
        var type = assembly.GetType(typeName) ?? assembly.GetType(typeName.Replace(".EchoDeployment", "+EchoDeployment", StringComparison.Ordinal))!;
        return (DeploymentDefinition)type.GetProperty("ServeDefinition", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    }

    private static GrpcMethodDefinition Method(DeploymentDefinition definition, string name)
        => definition.GrpcMethods.Single(m => m.MethodName == name);

    private static IMessage NewMessage(Assembly assembly, string typeName, params (string Field, object Value)[] fields)
    {
        var message = (IMessage)Activator.CreateInstance(assembly.GetType(typeName, throwOnError: true)!)!;
        foreach (var (field, value) in fields)
        {
            message.Descriptor.FindFieldByName(field).Accessor.SetValue(message, value);
        }
        return message;
    }

    private static object Field(IMessage message, string field) => message.Descriptor.FindFieldByName(field).Accessor.GetValue(message);

    /// <summary>
    /// A call served in memory: the request bytes in (or, for client-streaming and duplex calls, a stream of
    /// requests re-parsed from their bytes), the written responses collected.
    /// </summary>
    private sealed class TestCall : GrpcServerCall
    {
        private readonly ServeRequestContext _context;
        private readonly CancellationToken _cancellationToken;
        private readonly ReadOnlySequence<byte> _payload;
        private readonly IReadOnlyList<IMessage> _requests;

        public TestCall(IMessage request, ServeRequestContext? context = null, CancellationToken cancellationToken = default)
            : this(new ReadOnlySequence<byte>(request.ToByteArray()), context, cancellationToken: cancellationToken)
        {
        }

        public TestCall(ReadOnlySequence<byte> payload, ServeRequestContext? context = null, IReadOnlyList<IMessage>? requests = null, string method = "/test/Method", CancellationToken cancellationToken = default)
        {
            _payload = payload;
            _context = context ?? new ServeRequestContext("test", "app");
            _cancellationToken = cancellationToken;
            _requests = requests ?? [];
            GrpcContext = new GrpcContext(method, new Metadata(), "ipv4:127.0.0.1:5000", null, cancellationToken);
        }

        /// <summary>A client-streaming or duplex call that receives <paramref name="requests"/>.</summary>
        public static TestCall Streaming(IReadOnlyList<IMessage> requests, ServeRequestContext? context = null, string method = "/test/Method")
            => new(ReadOnlySequence<byte>.Empty, context, requests, method);

        public List<IMessage> Responses { get; } = [];

        /// <summary>The message names the generated code passed to <see cref="ReadRequestsAsync{T}"/>.</summary>
        public List<string> ReadMessageNames { get; } = [];

        public int RequestsRead { get; private set; }

        public override ServeRequestContext RequestContext => _context;

        public override CancellationToken CancellationToken => _cancellationToken;

        public override ReadOnlySequence<byte> RequestPayload => _payload;

        public override GrpcContext GrpcContext { get; }

        public override async IAsyncEnumerable<T> ReadRequestsAsync<T>(MessageParser<T> parser, string messageName)
        {
            ReadMessageNames.Add(messageName);
            foreach (var request in _requests)
            {
                await Task.Yield();
                RequestsRead++;
                yield return parser.ParseFrom(request.ToByteArray());
            }
        }

        public override ValueTask WriteResponseAsync(IMessage message)
        {
            Responses.Add(message);
            return default;
        }
    }
}
