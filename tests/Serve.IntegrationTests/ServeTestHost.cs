using System.Runtime.CompilerServices;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests;

/// <summary>A Serve host started for one test or fixture on free ports of 127.0.0.1, with a client channel.</summary>
public sealed class ServeTestHost : IAsyncDisposable
{
    private ServeTestHost(ServeHost host)
    {
        Host = host;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{host.GrpcPort}");
    }

    public ServeHost Host { get; }

    public GrpcChannel Channel { get; }

    public int GrpcPort => Host.GrpcPort!.Value;

    /// <summary>The apps every multi-app test uses: the quickstart, the gRPC-context example and the probe.</summary>
    public static ServeConfig MultiAppConfig(GrpcOptions? grpc = null, IReadOnlyList<DeploymentConfig>? probeDeployments = null, int probeReplicas = 2) => new()
    {
        HttpOptions = new HttpOptions { Port = 0 },
        GrpcOptions = (grpc ?? new GrpcOptions()) with
        {
            Port = 0,
            GrpcServicerFunctions = ["user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server", "servetesting.Probe"],
        },
        Applications =
        [
            new ApplicationConfig { Name = "app1", RoutePrefix = "/app1", ImportPath = "GrpcQuickstart.Applications:App1" },
            new ApplicationConfig { Name = "context", RoutePrefix = "/context", ImportPath = "GrpcQuickstart.Applications:ContextApp" },
            new ApplicationConfig
            {
                Name = "probe",
                RoutePrefix = "/probe",
                ImportPath = "Serve.IntegrationTests.Probe.ProbeApplications:Probe",
                Args = new Dictionary<string, string> { ["replicas"] = probeReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                Deployments = probeDeployments ?? [],
            },
            new ApplicationConfig
            {
                Name = "tight",
                RoutePrefix = "/tight",
                ImportPath = "Serve.IntegrationTests.Probe.ProbeApplications:Probe",
                Deployments = [new DeploymentConfig { Name = "ProbeDeployment", NumReplicas = 1, MaxOngoingRequests = 1, MaxQueuedRequests = 1 }],
            },
        ],
    };

    public static async Task<ServeTestHost> StartAsync(ServeConfig config, ServeHostOptions? options = null)
    {
        // Generated module initializers register the sample's and the probe's deployments.
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        RuntimeHelpers.RunModuleConstructor(typeof(ServeTestHost).Module.ModuleHandle);
        config.Validate();
        var host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning), options);
        await host.StartAsync();
        return new ServeTestHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}
