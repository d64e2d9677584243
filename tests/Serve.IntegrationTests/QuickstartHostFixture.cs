using Grpc.Net.Client;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests;

/// <summary>
/// A config file of the gRPC quickstart sample served in-process on free ports of 127.0.0.1: the
/// real Kestrel, proxies, router and replicas, with only the ports changed.
/// </summary>
public abstract class SampleHostFixture(string configFile) : IAsyncLifetime
{
    private ServeTestHost? _host;

    public ServeHost Host => (_host ?? throw new InvalidOperationException("Not started.")).Host;

    public int GrpcPort => Host.GrpcPort!.Value;

    public GrpcChannel Channel => (_host ?? throw new InvalidOperationException("Not started.")).Channel;

    public async Task InitializeAsync()
    {
        var config = ServeConfigLoader.LoadFile(Paths.Sample(configFile));
        _host = await ServeTestHost.StartAsync(config with
        {
            HttpOptions = config.HttpOptions with { Port = 0 },
            GrpcOptions = config.GrpcOptions with { Port = 0 },
        });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>single-app.yaml: app1 alone, so calls need no application metadata.</summary>
public sealed class QuickstartHostFixture() : SampleHostFixture("single-app.yaml");

/// <summary>config.yaml as shipped: the guide's app1 and app2.</summary>
public sealed class TwoAppQuickstartHostFixture() : SampleHostFixture("config.yaml");

[CollectionDefinition(Name)]
public sealed class QuickstartCollection : ICollectionFixture<QuickstartHostFixture>
{
    public const string Name = "quickstart host";
}
