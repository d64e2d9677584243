using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serve.Config;
using GrpcQuickstart;
using Serve.Hosting;
using Userdefinedprotos;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// <c>proxy_location: Disabled</c> starts no proxy: nothing listens on the proxies' ports, while the REST API and
/// deployment handles keep working, as in Ray.
/// </summary>
public sealed class ProxyLocationTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Disabled_starts_no_proxy_but_the_rest_api_and_handles_work()
    {
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        var (httpPort, grpcPort) = (FreePort(), FreePort());
        var config = new ServeConfig
        {
            ProxyLocation = ProxyLocation.Disabled,
            HttpOptions = new HttpOptions { Port = httpPort },
            GrpcOptions = new GrpcOptions { Port = grpcPort, GrpcServicerFunctions = ["user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server"] },
            Applications = [new ApplicationConfig { Name = "app1", RoutePrefix = "/app1", ImportPath = "GrpcQuickstart.Applications:App1" }],
        };
        await using var host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning), new ServeHostOptions { DashboardPort = 0 });
        await host.StartAsync();

        Assert.Null(host.HttpPort);
        Assert.Null(host.GrpcPort);
        foreach (var port in new[] { httpPort, grpcPort })
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.DashboardPort}"), Timeout = TimeSpan.FromSeconds(30) };
        using var details = JsonDocument.Parse(await http.GetStringAsync("/api/serve/applications/"));
        Assert.Equal("Disabled", details.RootElement.GetProperty("proxy_location").GetString());
        Assert.Equal("RUNNING", details.RootElement.GetProperty("applications").GetProperty("app1").GetProperty("status").GetString());

        // A handle to the ingress reaches a replica without any proxy.
        var ingress = host.Controller.Applications.Single().Ingress;
        var handle = new DeploymentHandle<GrpcQuickstart.GrpcDeployment>(ingress.HandleTarget);
        var reply = await handle.Call(new UserDefinedMessage { Name = "Ada", Origin = "here", Num = 21 });
        Assert.Equal(("Hello Ada from here", 42), (reply.Greeting, reply.Num));
    }
}
