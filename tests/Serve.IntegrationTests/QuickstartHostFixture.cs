using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Serve.Client;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests;

/// <summary>
/// The gRPC quickstart sample's config served in-process on free ports of 127.0.0.1: the real
/// Kestrel, proxies, router and replicas, with only the ports changed.
/// </summary>
public sealed class QuickstartHostFixture : IAsyncLifetime
{
    private ServeHost? _host;

    public ServeHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public int GrpcPort => Host.GrpcPort!.Value;

    public GrpcChannel Channel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The sample's generated module initializer registers its deployments and builders.
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        var config = ServeConfigLoader.LoadFile(Paths.Sample("single-app.yaml"));
        config = config with
        {
            HttpOptions = config.HttpOptions with { Port = 0 },
            GrpcOptions = config.GrpcOptions with { Port = 0 },
        };
        _host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await _host.StartAsync();
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}");
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class QuickstartCollection : ICollectionFixture<QuickstartHostFixture>
{
    public const string Name = "quickstart host";
}
