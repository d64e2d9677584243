using System.Globalization;
using Grpc.Core;
using Serve.Config;

namespace Serve.IntegrationTests.Batching;

/// <summary>
/// Request batching through the real proxies: concurrent single-item gRPC and HTTP calls reach one replica, which runs
/// them in batches of its [Batch] method. The batches flush when full (the wait is 30 s), so the sizes are exact.
/// </summary>
public sealed class BatchingTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private ServeTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ServeTestHost.StartAsync(new ServeConfig
    {
        HttpOptions = new HttpOptions { Port = 0 },
        GrpcOptions = new GrpcOptions { Port = 0, GrpcServicerFunctions = ["servetesting.Batcher"] },
        Applications =
        [
            new ApplicationConfig
            {
                Name = "batching",
                RoutePrefix = "/batching",
                ImportPath = "Serve.IntegrationTests.Batching.BatchingDeployment",
                Deployments = [new DeploymentConfig { Name = "BatchingDeployment", NumReplicas = 1, MaxOngoingRequests = 16 }],
            },
        ],
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Sixteen_concurrent_grpc_calls_run_in_four_batches_of_four()
    {
        BatchingDeployment.DoubleSizes.Clear();
        var client = new Batcher.BatcherClient(_host.Channel);
        var options = new CallOptions(new Metadata { { "application", "batching" } });
        var calls = Enumerable.Range(1, 16).Select(i => client.DoubleAsync(new BatchRequest { Value = i }, options).ResponseAsync).ToArray();
        var replies = await Task.WhenAll(calls).WaitAsync(Guard);

        Assert.Equal(Enumerable.Range(1, 16).Select(i => 2L * i), replies.Select(r => r.Value));
        Assert.All(replies, r => Assert.Equal(4, r.BatchSize));
        Assert.Equal(new[] { 4, 4, 4, 4 }, BatchingDeployment.DoubleSizes.ToArray());
    }

    [Fact]
    public async Task Eight_concurrent_http_calls_run_in_two_batches_of_four()
    {
        BatchingDeployment.SquareSizes.Clear();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_host.Host.HttpPort}") };
        var calls = Enumerable.Range(1, 8).Select(i => client.GetStringAsync("/batching/square?value=" + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        var bodies = await Task.WhenAll(calls).WaitAsync(Guard);

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (i * i).ToString(CultureInfo.InvariantCulture) + " of 4"), bodies);
        Assert.Equal(new[] { 4, 4 }, BatchingDeployment.SquareSizes.ToArray());
    }
}
