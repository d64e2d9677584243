using Grpc.Core;
using Microsoft.Extensions.Logging;
using Serve.Batching;
using Serve.Config;
using Serve.Control;
using Serve.Dispatch;
using Serve.Replicas;
using static Serve.Runtime.Tests.Control.ReconcileKit;

namespace Serve.Runtime.Tests.Batching;

/// <summary>The runtime's side of <c>[Batch]</c>: the max_ongoing_requests warning at deploy time, and stopping a replica's queues.</summary>
public sealed class BatchRuntimeTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>A deployment whose definition declares one batched method, as generated code would.</summary>
    private sealed class Batched
    {
        public BatchQueue<string, string>? Queue;

        public BatchQueue<string, string> GetQueue()
            => Queue ??= new BatchQueue<string, string>("Predict", 4, TimeSpan.FromHours(1), 2, (items, _) => new ValueTask<IReadOnlyList<string>>(items));
    }

    private static DeploymentDefinition Definition(string name) => new(name, "Tests.Batching." + name, new DeploymentOptions(), 0, (_, _) => new Batched(), [], [])
    {
        BatchMethods = [new BatchMethodDefinition("Predict", 4, TimeSpan.FromHours(1), 2, instance => ((Batched)instance).Queue)],
    };

    [Fact]
    public void Problems_name_the_method_and_the_numbers_when_max_ongoing_requests_is_below_size_times_concurrency()
    {
        var definition = Definition("Model");
        Assert.Empty(BatchLimits.Problems("Model", definition, 8));
        Assert.Equal(
            "Deployment 'Model': max_batch_size (4) * max_concurrent_batches (2) of batched method 'Predict' is larger than max_ongoing_requests (7). "
            + "A replica will never fill its batches; set max_ongoing_requests to at least 8.",
            Assert.Single(BatchLimits.Problems("Model", definition, 7)));
    }

    [Fact]
    public async Task Deploying_with_too_low_max_ongoing_requests_logs_a_warning_and_raising_it_does_not()
    {
        var logger = new RecordingLogger();
        using var controller = new ServeController(logger);
        var path = Register(() => new Application(Definition("Model"), []));
        try
        {
            await controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Model", MaxOngoingRequests = 3 })));
            var warning = Assert.Single(logger.Warnings);
            Assert.Equal("App 'app': Deployment 'Model': max_batch_size (4) * max_concurrent_batches (2) of batched method 'Predict' is larger than max_ongoing_requests (3). "
                + "A replica will never fill its batches; set max_ongoing_requests to at least 8.", warning);

            // Lowered in place: warned again with the new value; raised: nothing new.
            await controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Model", MaxOngoingRequests = 2 })));
            Assert.Equal(2, logger.Warnings.Count);
            Assert.Contains("max_ongoing_requests (2)", logger.Warnings[1], StringComparison.Ordinal);
            await controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Model", MaxOngoingRequests = 8 })));
            Assert.Equal(2, logger.Warnings.Count);
        }
        finally
        {
            await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Stopping_a_replica_stops_the_queues_its_instance_created()
    {
        var definition = Definition("Model");
        var used = new Batched();
        var waiting = used.GetQueue().SubmitAsync("x").AsTask();
        var replica = new Replica("r1", "Model", used, 8, batchMethods: definition.BatchMethods);
        await replica.StopAsync(TimeSpan.Zero, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<RpcException>(() => waiting.WaitAsync(Guard));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);

        // An instance that never called its batched method has no queue to stop.
        var unused = new Replica("r2", "Model", new Batched(), 8, batchMethods: definition.BatchMethods);
        await unused.StopAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(ReplicaState.Stopped, unused.State);
    }

    private sealed class RecordingLogger : ILogger<ServeController>
    {
        private readonly List<string> _warnings = [];

        public IReadOnlyList<string> Warnings
        {
            get
            {
                lock (_warnings)
                {
                    return [.. _warnings];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                lock (_warnings)
                {
                    _warnings.Add(formatter(state, exception));
                }
            }
        }
    }
}
