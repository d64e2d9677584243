using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;
using Serve.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Serve.IntegrationTests;

/// <summary>
/// grpc.health.v1.Health and server reflection, served by the proxy itself: with Serve's own client, with
/// Python's grpcio (a reflection client that needs no local .proto, as grpcurl), and on hosts that drain
/// or switch reflection off.
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class BuiltInServicesTests(QuickstartHostFixture fixture)
{
    private const string Python = "/usr/bin/python3";
    private const string UserService = "userdefinedprotos.UserDefinedService";

    [Theory]
    [InlineData("")]
    [InlineData(UserService)]
    [InlineData("grpc.health.v1.Health")]
    [InlineData("ray.serve.RayServeAPIService")]
    public async Task Check_reports_serving(string service)
    {
        using var call = new Health.HealthClient(fixture.Channel).CheckAsync(new HealthCheckRequest { Service = service });
        var response = await call;
        Assert.Equal(ServingStatus.Serving, response.Status);
        Assert.Equal("request_id", call.GetTrailers()[0].Key);
    }

    [Fact]
    public async Task Check_of_an_unknown_service_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Health.HealthClient(fixture.Channel).CheckAsync(new HealthCheckRequest { Service = "no.Such" }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("no.Such", ex.Status.Detail);
    }

    [Fact]
    public async Task Watch_sends_the_status_at_once_and_unknown_services_as_service_unknown()
    {
        foreach (var (service, expected) in new[] { ("", ServingStatus.Serving), (UserService, ServingStatus.Serving), ("no.Such", ServingStatus.ServiceUnknown) })
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var call = new Health.HealthClient(fixture.Channel).Watch(new HealthCheckRequest { Service = service });
            await using var responses = call.ResponseStream.ReadAllAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            Assert.True(await responses.MoveNextAsync());
            Assert.Equal(expected, responses.Current.Status);
        }
    }

    [Fact]
    public async Task Unknown_methods_of_the_built_in_services_are_unimplemented()
    {
        var nope = RawGrpc.Unary<HealthCheckRequest, HealthCheckResponse>("grpc.health.v1.Health", "Nope");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Channel.Call(nope, new HealthCheckRequest()));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);

        var wrongVersion = RawGrpc.Unary<ServerReflectionRequest, ServerReflectionResponse>("grpc.reflection.v1alpha.ServerReflection", "Info");
        ex = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Channel.Call(wrongVersion, new ServerReflectionRequest()));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Theory]
    [InlineData("v1alpha")]
    [InlineData("v1")]
    public async Task Reflection_lists_services_and_returns_the_file_of_a_service(string version)
    {
        var responses = await ReflectAsync(fixture.Channel, version,
            new ServerReflectionRequest { Host = "h", ListServices = "" },
            new ServerReflectionRequest { FileContainingSymbol = UserService },
            new ServerReflectionRequest { FileContainingSymbol = "userdefinedprotos.Nope" },
            new ServerReflectionRequest { FileContainingSymbol = $"grpc.reflection.{version}.ServerReflection" });

        Assert.Equal(
            ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "ray.serve.RayServeAPIService", UserService],
            responses[0].ListServicesResponse.Service.Select(s => s.Name));
        Assert.Equal("h", responses[0].ValidHost);

        var file = FileDescriptorProto.Parser.ParseFrom(responses[1].FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal("user_defined_protos.proto", file.Name);
        Assert.Contains(file.Service, s => s.Name == "UserDefinedService" && s.Method.Any(m => m.Name == "__call__"));

        Assert.Equal((int)StatusCode.NotFound, responses[2].ErrorResponse.ErrorCode);
        Assert.Equal("userdefinedprotos.Nope", responses[2].OriginalRequest.FileContainingSymbol);

        var own = FileDescriptorProto.Parser.ParseFrom(responses[3].FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal($"grpc/reflection/{version}/reflection.proto", own.Name);
    }

    [Fact]
    public async Task Python_reflection_client_calls_the_sample_with_no_local_proto_and_checks_health()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install python3-grpcio and python3-grpc-tools (`.ci/run` does).");
        var protos = Directory.CreateTempSubdirectory("serve-builtin-protos-");
        var generated = Directory.CreateTempSubdirectory("serve-builtin-py-");
        try
        {
            // Renamed copies: a module path grpc/... would shadow grpcio's own `grpc` package.
            File.Copy(Paths.Proto("grpc/health/v1/health.proto"), Path.Combine(protos.FullName, "health.proto"));
            File.Copy(Paths.Proto("grpc/reflection/v1alpha/reflection.proto"), Path.Combine(protos.FullName, "reflection_v1alpha.proto"));
            File.Copy(Paths.Proto("grpc/reflection/v1/reflection.proto"), Path.Combine(protos.FullName, "reflection_v1.proto"));
            var (protocExit, protocOutput) = await ExternalProcess.RunAsync(Python,
            [
                "-m", "grpc_tools.protoc", "-I", protos.FullName,
                $"--python_out={generated.FullName}", $"--grpc_python_out={generated.FullName}",
                "health.proto", "reflection_v1alpha.proto", "reflection_v1.proto",
            ], TimeSpan.FromMinutes(1), workingDirectory: protos.FullName);
            Assert.True(protocExit == 0, $"grpc_tools.protoc failed (install python3-grpc-tools):\n{protocOutput}");

            var script = Path.Combine(AppContext.BaseDirectory, "interop", "python_reflection_client.py");
            var (exit, output) = await ExternalProcess.RunAsync(Python, [script, fixture.GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture), generated.FullName], TimeSpan.FromMinutes(1));
            Assert.True(exit == 0, output);
            Assert.Contains(" 0 failed", output);
        }
        finally
        {
            protos.Delete(recursive: true);
            generated.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Draining_turns_check_and_watch_to_not_serving_with_several_applications()
    {
        await using var host = await StartHostAsync(enableReflection: true);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{host.GrpcPort}");
        Assert.Equal(2, host.Controller.Routes.Applications.Count);

        // No application key, two applications: still answered.
        Assert.Equal(ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
        var listed = await ReflectAsync(channel, "v1", new ServerReflectionRequest { ListServices = "" });
        Assert.Contains(listed[0].ListServicesResponse.Service, s => s.Name == UserService);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = new Health.HealthClient(channel).Watch(new HealthCheckRequest { Service = UserService });
        await using var updates = watch.ResponseStream.ReadAllAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(ServingStatus.Serving, updates.Current.Status);

        host.Controller.BeginDrain();

        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(ServingStatus.NotServing, updates.Current.Status);
        Assert.Equal(ServingStatus.NotServing, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(ServingStatus.NotServing, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = UserService })).Status);

        // Stopping the host ends the watch instead of waiting for it.
        var stop = host.StopAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await updates.MoveNextAsync());
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Reflection_is_unimplemented_when_disabled_and_health_still_answers()
    {
        await using var host = await StartHostAsync(enableReflection: false);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{host.GrpcPort}");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var v1 = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: cts.Token);
        var v1alpha = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: cts.Token);
        await AssertUnimplementedAsync(v1, new ServerReflectionRequest { ListServices = "" });
        await AssertUnimplementedAsync(v1alpha, new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        Assert.Equal(ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = "grpc.reflection.v1.ServerReflection" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and expects UNIMPLEMENTED. The server may answer before the request is written
    /// (it needs none to refuse), and then the write itself fails: what counts is the status the call ends with.
    /// </summary>
    private static async Task AssertUnimplementedAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest request)
    {
        using (call)
        {
            try
            {
                await call.RequestStream.WriteAsync(request);
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException)
            {
                // Refused already; read the status below.
            }
            var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
        }
    }

    /// <summary>Sends <paramref name="requests"/> on one reflection stream, then half-closes and reads every answer.</summary>
    internal static async Task<List<ServerReflectionResponse>> ReflectAsync(GrpcChannel channel, string version, params ServerReflectionRequest[] requests)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (version == "v1")
        {
            var v1 = new ServerReflection.ServerReflectionClient(channel);
            return await ExchangeAsync(v1.ServerReflectionInfo(cancellationToken: cts.Token), requests, r => r, r => r, cts.Token);
        }
        // v1alpha has the same fields and numbers as v1: the v1 requests and answers cross over as bytes.
        Assert.Equal("v1alpha", version);
        var v1alpha = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel);
        return await ExchangeAsync(
            v1alpha.ServerReflectionInfo(cancellationToken: cts.Token), requests,
            r => Grpc.Reflection.V1Alpha.ServerReflectionRequest.Parser.ParseFrom(r.ToByteArray()),
            r => ServerReflectionResponse.Parser.ParseFrom(r.ToByteArray()),
            cts.Token);
    }

    private static async Task<List<ServerReflectionResponse>> ExchangeAsync<TRequest, TResponse>(
        AsyncDuplexStreamingCall<TRequest, TResponse> call, ServerReflectionRequest[] requests,
        Func<ServerReflectionRequest, TRequest> toWire, Func<TResponse, ServerReflectionResponse> fromWire, CancellationToken cancellationToken)
    {
        using (call)
        {
            var responses = new List<ServerReflectionResponse>();
            foreach (var request in requests)
            {
                await call.RequestStream.WriteAsync(toWire(request), cancellationToken);
            }
            await call.RequestStream.CompleteAsync();
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                responses.Add(fromWire(response));
            }
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
            Assert.Equal(requests.Length, responses.Count);
            return responses;
        }
    }

    /// <summary>The quickstart's config as two applications, on free ports.</summary>
    private static async Task<ServeHost> StartHostAsync(bool enableReflection)
    {
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        var config = ServeConfigLoader.LoadFile(Paths.Sample("config.yaml"));
        var app = config.Applications[0];
        config = config with
        {
            HttpOptions = config.HttpOptions with { Port = 0 },
            GrpcOptions = config.GrpcOptions with { Port = 0, EnableReflection = enableReflection },
            Applications = [app, app with { Name = "app2", RoutePrefix = "/app2" }],
        };
        var host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return host;
    }
}
